"""Level ``compatible``: the contract and the manifest, for readers and writers alike."""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError, ValidationError  # type: ignore[import-untyped]
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from dativo_conformance._check import Check, CheckFailed
from dativo_conformance._context import Context
from dativo_pkg.errors import ConfigError, DativoError
from dativo_pkg.manifest import check_api_range
from dativo_pkg.sdk import Reader, Writer

__all__ = ["BadConfigRefused", "ConfigSchemaPublished", "EntryPointLoads", "ManifestValid"]

_BASES: dict[str, type[Any]] = {"reader": Reader, "writer": Writer}


def plugin_class(ctx: Context) -> type[Any]:
    """The class the entry point names, loaded as the runtime loads it (in-process plugins)."""
    try:
        return ctx.plugin.load_class()
    except DativoError as exc:
        raise CheckFailed(exc.message) from exc


class ManifestValid(Check):
    id = "contract.manifest"
    title = "manifest valid and agreeing with the code"
    kind = "any"
    level = "compatible"

    def run(self, ctx: Context) -> None:
        plugin, project = ctx.plugin, ctx.project
        spec = plugin.spec
        if spec is None:
            raise CheckFailed(
                f"no dativo-plugin.json beside the entry point's package declares "
                f"{project.kind} {project.connector!r}"
            )
        try:
            check_api_range(spec.api, plugin=project.connector)
        except DativoError as exc:
            raise CheckFailed(exc.message) from exc
        if spec.language != project.language:
            raise CheckFailed(
                f"the manifest says language {spec.language!r}, pyproject.toml's "
                f"[tool.dativo] says {project.language!r}"
            )
        ctx.record("api", spec.api)
        ctx.record("language", spec.language)
        if not spec.runs_in_process:
            return
        cls = plugin_class(ctx)
        differences = [
            f"{what}: manifest {declared!r}, code {actual!r}"
            for what, declared, actual in (
                ("language", spec.language, cls.language),
                ("api", spec.api, cls.api_range),
            )
            if declared != actual
        ]
        if spec.config_schema != cls.config_model.model_json_schema():
            differences.append(
                "config_schema differs from the config model's JSON Schema (regenerate the "
                "manifest from the code)"
            )
        if differences:
            raise CheckFailed("the manifest disagrees with the code: " + "; ".join(differences))


def _distribution(ctx: Context) -> Distribution:
    wanted = canonicalize_name(ctx.plugin.distribution)
    paths = [*(p for p in _plugin_path()), *sys.path]
    for dist in distributions(path=paths):
        if canonicalize_name(dist.metadata["Name"] or "") == wanted:
            return dist
    raise CheckFailed(f"the distribution {ctx.plugin.distribution} has no readable metadata")


def _plugin_path() -> list[str]:
    import os

    return [p for p in os.environ.get("DATIVO_PLUGIN_PATH", "").split(os.pathsep) if p]


class MetadataValid(Check):
    id = "contract.metadata"
    title = "distribution metadata: name, version, summary"
    kind = "any"
    level = "compatible"

    def run(self, ctx: Context) -> None:
        metadata = _distribution(ctx).metadata
        missing = [key for key in ("Name", "Version", "Summary") if not metadata[key]]
        if missing:
            raise CheckFailed(f"METADATA lacks {', '.join(missing)} (set them in [project])")
        try:
            Version(metadata["Version"])
        except InvalidVersion as exc:
            raise CheckFailed(f"version {metadata['Version']!r} is not PEP 440") from exc
        project = ctx.project
        if project.name and canonicalize_name(project.name) != canonicalize_name(metadata["Name"]):
            raise CheckFailed(
                f"the installed distribution is {metadata['Name']}, the project is {project.name}"
            )
        ctx.record("distribution", metadata["Name"])
        ctx.record("version", metadata["Version"])


class EntryPointLoads(Check):
    id = "contract.entry-point"
    title = "entry point loads the plugin class (or names a runnable program)"
    kind = "any"
    level = "compatible"

    def run(self, ctx: Context) -> None:
        spec = ctx.plugin.spec
        if spec is not None and not spec.runs_in_process:
            from dativo_pkg._internal.executable import check_executable

            assert spec.executable is not None and ctx.plugin.manifest_dir is not None
            try:
                check_executable(ctx.plugin.manifest_dir / spec.executable, spec)
            except DativoError as exc:
                raise CheckFailed(exc.message) from exc
            ctx.record("executable", spec.executable)
            return
        cls = plugin_class(ctx)
        ctx.record("class", f"{cls.__module__}:{cls.__qualname__}")


class ConfigSchemaPublished(Check):
    id = "contract.config-schema"
    title = "config schema published, and the test config valid against it"
    kind = "any"
    level = "compatible"

    def run(self, ctx: Context) -> None:
        spec = ctx.plugin.spec
        if spec is None:
            raise CheckFailed("no manifest, so no published config schema")
        schema = spec.config_schema
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise CheckFailed(f"config_schema is not a JSON Schema: {exc.message}") from exc
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            raise CheckFailed("config_schema must describe an object with properties")
        config = ctx.config(ctx.unreachable())
        try:
            Draft202012Validator(schema).validate(config)
        except ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "(config)"
            raise CheckFailed(
                f"the conformance config is invalid against the schema: {where}: {exc.message}"
            ) from exc
        ctx.record("properties", sorted(schema["properties"]))


_watch = threading.local()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    root: Path | None = getattr(_watch, "root", None)
    if root is None:
        return
    if event == "open" and isinstance(args[0], str | Path):
        if Path(args[0]).absolute().is_relative_to(root):
            _watch.events.append(f"opened {args[0]}")
    elif event in ("socket.connect", "subprocess.Popen"):
        _watch.events.append(f"{event} {args[1] if len(args) > 1 else ''}".strip())


@contextmanager
def _no_io(root: Path) -> Iterator[list[str]]:
    """Record file opens under ``root``, connections and processes started on this thread."""
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # hooks cannot be removed: it stays, idle outside this block
        _hook_installed = True
    _watch.root, _watch.events = root.absolute(), []
    try:
        yield _watch.events
    finally:
        _watch.root = None


class BadConfigRefused(Check):
    id = "contract.bad-config"
    title = "bad configs refused with ConfigError naming the field, before any I/O"
    kind = "any"
    level = "compatible"

    def run(self, ctx: Context) -> None:
        spec = ctx.plugin.spec
        schema = spec.config_schema if spec else {}
        good = ctx.config(ctx.source if ctx.project.kind == "reader" else ctx.output("bad"))
        cases: list[tuple[str, str, dict[str, Any]]] = [
            ("unknown key", "dativo_conformance_unknown", {**good, "dativo_conformance_unknown": 1})
        ]
        for field in schema.get("required", []):
            cases.append((f"missing required {field}", field, _without(good, field)))
        wrong = _wrong_type(schema, good)
        if wrong is not None:
            cases.append((f"wrong type for {wrong[0]}", wrong[0], wrong[1]))
        problems = [p for p in (self._refused(ctx, *case) for case in cases) if p]
        ctx.record("cases", [case[0] for case in cases])
        if problems:
            raise CheckFailed("; ".join(problems))

    def _refused(self, ctx: Context, case: str, field: str, config: dict[str, Any]) -> str | None:
        with _no_io(ctx.workdir) as events:
            try:
                plugin = ctx.plugin.create(config)
            except ConfigError as exc:
                if field not in str(exc):
                    return f"{case}: the ConfigError does not name {field!r}: {exc.message}"
                return f"{case}: refused only after I/O ({', '.join(events)})" if events else None
            except Exception as exc:
                return f"{case}: raised {type(exc).__name__}, not ConfigError: {exc}"
        plugin.close()
        return f"{case}: accepted"


def _without(config: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != field}


#: A value of the wrong type for each JSON Schema type.
_WRONG = {
    "string": {"dativo": "not a string"},
    "integer": "not an integer",
    "number": "not a number",
    "boolean": {"dativo": "not a boolean"},
    "array": 12345,
    "object": 12345,
}


def _wrong_type(schema: dict[str, Any], good: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A field of ``good`` whose schema has one plain type, and ``good`` with it mistyped."""
    properties = schema.get("properties", {})
    for name in good:
        declared = properties.get(name, {})
        kind = declared.get("type") if isinstance(declared, dict) else None
        if isinstance(kind, str) and kind in _WRONG:
            mistyped = copy.deepcopy(good)
            mistyped[name] = _WRONG[kind]
            return name, mistyped
    return None
