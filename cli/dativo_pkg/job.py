"""Job files: YAML in, a validated :class:`Job` out.

The smallest job names an installed reader and writer::

    source:
      plugin: csv
      config: {path: data/orders.csv}
    target:
      plugin: parquet
      config: {path: out/orders}

``${VAR}`` (or ``${VAR:-default}``) anywhere in a string value is replaced
from the environment after parsing, so secrets never pass through the YAML
parser and are never echoed: every substituted value is remembered in
:attr:`LoadedJob.secrets` and masked in messages. ``$${`` stands for ``${``.

Every error names the file, line and column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dativo_pkg.errors import JobFileError

__all__ = ["IncrementalSpec", "Job", "LoadedJob", "SourceSpec", "TargetSpec", "load_job"]

#: Keys of dativo-ingest job files that carry no meaning here but are accepted,
#: so a job written for dativo-ingest loads unchanged.
LEGACY_TOP_LEVEL_KEYS = frozenset(
    {
        "tenant_id",
        "environment",
        "asset",
        "asset_path",
        "source_connector",
        "source_connector_path",
        "target_connector",
        "target_connector_path",
    }
)

_ENV_REF = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class IncrementalSpec(BaseModel):
    """Read only rows newer than the last committed run, by a cursor column."""

    model_config = ConfigDict(extra="forbid")

    cursor_field: str = Field(min_length=1)


class _EndpointSpec(BaseModel):
    """Either an installed plugin with its config, or a dativo-ingest class path.

    A dativo-ingest plugin gets the remaining keys of its section (connection,
    credentials, engine, ...) as it did there; an installed plugin gets only
    ``config``, and unknown keys beside it are refused (they are usually typos).
    """

    model_config = ConfigDict(extra="allow")

    _custom_key = ""

    plugin: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)

    @property
    def custom(self) -> str | None:
        value = getattr(self, self._custom_key, None)
        return value if isinstance(value, str) else None

    @property
    def legacy_options(self) -> dict[str, Any]:
        """The section's keys for a dativo-ingest plugin (its class path removed)."""
        extra = dict(self.model_extra or {})
        extra.pop(self._custom_key, None)
        return {**extra, "config": self.config} if self.config else extra

    @property
    def display_name(self) -> str:
        return self.plugin or self.custom or "?"

    @model_validator(mode="after")
    def _one_plugin(self) -> _EndpointSpec:
        extra = self.model_extra or {}
        custom = extra.get(self._custom_key)
        if (self.plugin is None) == (custom is None):
            raise ValueError(f"give exactly one of 'plugin' or '{self._custom_key}'")
        if self.plugin is not None and extra:
            unknown = ", ".join(sorted(extra))
            raise ValueError(f"unknown key(s) {unknown}; plugin settings go under 'config'")
        if custom is not None and not isinstance(custom, str):
            raise ValueError(f"'{self._custom_key}' must be a string 'path/to/file.py:ClassName'")
        return self


class SourceSpec(_EndpointSpec):
    _custom_key = "custom_reader"

    incremental: IncrementalSpec | None = None


class TargetSpec(_EndpointSpec):
    _custom_key = "custom_writer"


class StateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, description="where the incremental state file lives")


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    source: SourceSpec
    target: TargetSpec
    state: StateSpec | None = None


@dataclass(frozen=True)
class LoadedJob:
    """A validated job with where it came from and what must never be shown."""

    job: Job
    path: Path
    secrets: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return self.job.name or self.path.stem

    @property
    def state_path(self) -> Path:
        if self.job.state is not None:
            return Path(self.job.state.path)
        return Path(".dativo") / "state" / f"{self.name}.json"


def load_job(path: Path, environ: Mapping[str, str] | None = None) -> LoadedJob:
    """Parse, interpolate and validate the job file at ``path``."""
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JobFileError(
            f"cannot read job file {path}: {exc.strerror or exc}",
            hint="check the path; a job file is YAML with 'source' and 'target'",
        ) from exc

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        hint = None
        if "${" in text:
            hint = (
                'inside {...} or [...], quote values that hold ${VAR}: {password: "${PGPASSWORD}"}'
            )
        raise JobFileError(
            f"{_where(path, exc.problem_mark)}: invalid YAML: {exc.problem}", hint=hint
        ) from exc
    except yaml.YAMLError as exc:
        raise JobFileError(f"{path}: invalid YAML: {exc}") from exc
    if root is None:
        raise JobFileError(f"{path}: the job file is empty", hint="it needs 'source' and 'target'")

    data = yaml.SafeLoader("").construct_document(root)
    if not isinstance(data, dict):
        raise JobFileError(f"{_where(path, root.start_mark)}: a job must be a mapping")

    secrets: set[str] = set()
    data = _interpolate(data, (), env, secrets, path, root)
    for key in LEGACY_TOP_LEVEL_KEYS:
        data.pop(key, None)

    try:
        job = Job.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{_where(path, _mark_for(root, err['loc']))}: "
            f"{'.'.join(str(p) for p in err['loc']) or '(job)'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        raise JobFileError(
            "invalid job file:\n  " + "\n  ".join(problems),
            hint="see the job file reference in the README",
        ) from exc
    return LoadedJob(job=job, path=path, secrets=frozenset(secrets))


def _interpolate(
    value: Any,
    loc: tuple[str | int, ...],
    env: Mapping[str, str],
    secrets: set[str],
    path: Path,
    root: yaml.Node,
) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*loc, k), env, secrets, path, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*loc, i), env, secrets, path, root) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name in env:
            resolved = env[name]
        elif default is not None:
            resolved = default
        else:
            where = _where(path, _mark_for(root, loc))
            raise JobFileError(
                f"{where}: environment variable {name} is not set",
                hint=f"export {name}, or write ${{{name}:-default}} in the job file",
            )
        if resolved:
            secrets.add(resolved)
        return resolved

    return _ENV_REF.sub(substitute, value)


def _mark_for(root: yaml.Node, loc: Sequence[str | int]) -> yaml.Mark:
    """The position of the deepest node along ``loc`` (a pydantic error location)."""
    node = root
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return node.start_mark


def _where(path: Path, mark: yaml.Mark | None) -> str:
    if mark is None:
        return str(path)
    return f"{path}:{mark.line + 1}:{mark.column + 1}"
