"""The plugin manifest: what a plugin distribution says about itself.

Every plugin distribution carries ``dativo-plugin.json`` inside the import
package its entry points live in. The registry extracts and validates it at
upload; discovery reads it to learn language, API range and, for plugins
written in other languages, the executable to run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dativo_pkg.errors import CompatibilityError
from dativo_pkg.sdk import API_VERSION, Reader, Writer, format_validation_error

__all__ = [
    "MANIFEST_FILENAME",
    "Manifest",
    "PluginSpec",
    "check_api_range",
    "load_manifest",
    "manifest_for",
]

MANIFEST_FILENAME = "dativo-plugin.json"

#: Languages that run in-process; any other language runs as an executable.
IN_PROCESS_LANGUAGES = frozenset({"python", "rust"})

Language = Literal["python", "rust", "go", "c++", "java", "other"]


class PluginSpec(BaseModel):
    """One reader or writer carried by a distribution."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["reader", "writer"]
    connector: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)
    language: Language = "python"
    api: str = Field(default=">=1,<2", description="PEP 440 range of plugin API versions")
    capabilities: list[str] = Field(default_factory=list)
    description: str = ""
    config_schema: dict[str, Any] = Field(description="JSON Schema of the plugin config")
    executable: str | None = Field(
        default=None,
        description="For plugins not in Python or Rust: path of the executable, "
        "relative to the package holding the manifest. It speaks Arrow IPC on stdio.",
    )

    @field_validator("api")
    @classmethod
    def _api_is_a_specifier(cls, value: str) -> str:
        try:
            SpecifierSet(value)
        except InvalidSpecifier as exc:
            raise ValueError(f"not a PEP 440 version range: {value!r}") from exc
        return value

    @property
    def runs_in_process(self) -> bool:
        return self.language in IN_PROCESS_LANGUAGES

    def model_post_init(self, context: Any, /) -> None:
        if not self.runs_in_process and not self.executable:
            raise ValueError(f"a {self.language} plugin must name its executable")


class Manifest(BaseModel):
    """The whole ``dativo-plugin.json``."""

    model_config = ConfigDict(extra="forbid")

    manifest_version: Literal[1] = 1
    plugins: list[PluginSpec] = Field(min_length=1)

    def find(self, kind: str, connector: str) -> PluginSpec | None:
        for spec in self.plugins:
            if spec.kind == kind and spec.connector == connector:
                return spec
        return None


def check_api_range(api_range: str, *, plugin: str) -> None:
    """Raise CompatibilityError unless this runtime's API version is in ``api_range``."""
    if str(API_VERSION) not in SpecifierSet(api_range):
        raise CompatibilityError(
            f"plugin {plugin!r} supports plugin API {api_range}, "
            f"but this runtime implements API {API_VERSION}",
            hint="install a version of the plugin built for this runtime, or upgrade dativo-pkg",
        )


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest.model_validate(data)
    except (OSError, json.JSONDecodeError) as exc:
        raise CompatibilityError(f"cannot read plugin manifest {path}: {exc}") from exc
    except ValidationError as exc:
        raise CompatibilityError(
            f"invalid plugin manifest {path}: {format_validation_error(exc)}"
        ) from exc


def manifest_for(
    readers: dict[str, type[Reader[Any]]], writers: dict[str, type[Writer[Any]]]
) -> Manifest:
    """Build the manifest of in-process plugins from their classes."""
    specs = [
        PluginSpec(
            kind=kind,
            connector=name,
            language=cls.language,
            api=cls.api_range,
            capabilities=list(cls.capabilities),
            description=(cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
            config_schema=cls.config_model.model_json_schema(),
        )
        for kind, classes in (("reader", readers), ("writer", writers))
        for name, cls in sorted(classes.items())
    ]
    return Manifest(plugins=specs)
