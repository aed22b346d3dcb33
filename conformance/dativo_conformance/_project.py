"""A plugin project's conformance settings: ``[tool.dativo.conformance]`` in pyproject.toml.

::

    [tool.dativo]
    language = "python"

    [tool.dativo.conformance]
    kind = "reader"                 # reader | writer
    connector = "acme"              # the entry-point name
    fixture = "csv"                 # readers: csv | parquet | jsonl | postgres
                                    # writers: directory | postgres
    config = { path = "{source}" }  # "{name}" placeholders inside string values
    cursor_field = "id"             # readers: the incremental column
    baseline = "csv"                # built-in plugin `dativo-pkg bench` compares with

Placeholders: readers ``{source}`` and ``{postgres_url}``; writers ``{output}``,
``{postgres_url}`` and ``{table}``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dativo_pkg.errors import ConfigError
from dativo_pkg.sdk import format_validation_error

__all__ = ["PLACEHOLDERS", "ProjectConfig", "find_pyproject", "load_project", "render_config"]

#: The fixtures each kind of plugin can be tested against.
FIXTURES: dict[str, tuple[str, ...]] = {
    "reader": ("csv", "parquet", "jsonl", "postgres"),
    "writer": ("directory", "postgres"),
}
#: The placeholders a config template of each kind may use.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "reader": frozenset({"source", "postgres_url"}),
    "writer": frozenset({"output", "postgres_url", "table"}),
}
#: The built-in plugin each fixture is benchmarked against by default.
DEFAULT_BASELINES: dict[str, str] = {
    "csv": "csv",
    "parquet": "parquet",
    "jsonl": "csv",
    "postgres": "postgres",
    "directory": "csv",
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ProjectConfig(BaseModel):
    """What the suite needs to know about the plugin under test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["reader", "writer"]
    connector: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)
    fixture: str
    config: dict[str, Any] = Field(default_factory=dict)
    cursor_field: str = Field(default="id", min_length=1)
    baseline: str | None = None
    #: Filled from the rest of pyproject.toml, not from the conformance table.
    language: str = "python"
    name: str | None = None
    version: str | None = None
    root: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProjectConfig:
        allowed = FIXTURES[self.kind]
        if self.fixture not in allowed:
            raise ValueError(
                f"fixture {self.fixture!r} is not one for a {self.kind}: use one of "
                f"{', '.join(allowed)}"
            )
        unknown = sorted(placeholders(self.config) - PLACEHOLDERS[self.kind])
        if unknown:
            known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS[self.kind]))
            raise ValueError(
                f"config uses unknown placeholder(s) {', '.join(f'{{{u}}}' for u in unknown)}; "
                f"a {self.kind} template may use {known}"
            )
        return self

    @property
    def baseline_plugin(self) -> str:
        return self.baseline or DEFAULT_BASELINES[self.fixture]

    def render(self, values: dict[str, str]) -> dict[str, Any]:
        """The config template with every placeholder replaced from ``values``."""
        rendered: dict[str, Any] = render_config(self.config, values)
        return rendered


def placeholders(value: Any) -> set[str]:
    """Every ``{name}`` used inside the string values of ``value``."""
    if isinstance(value, dict):
        return {p for v in value.values() for p in placeholders(v)}
    if isinstance(value, list):
        return {p for v in value for p in placeholders(v)}
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    return set()


def render_config(value: Any, values: dict[str, str]) -> Any:
    """Replace ``{name}`` inside every string of ``value`` (other braces are kept)."""
    if isinstance(value, dict):
        return {k: render_config(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render_config(v, values) for v in value]
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), value)
    return value


def find_pyproject(start: Path) -> Path:
    """The nearest pyproject.toml at or above ``start`` (a file or a directory)."""
    start = start.resolve()
    if start.is_file() and start.name == "pyproject.toml":
        return start
    for directory in [start, *start.parents] if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no pyproject.toml at or above {start}",
        hint="run inside a plugin project (`dativo-pkg new` makes one), or pass its path",
    )


def load_project(path: Path) -> ProjectConfig:
    """Read ``[tool.dativo.conformance]`` of the project at ``path`` (a directory or file)."""
    pyproject = find_pyproject(Path(path))
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read {pyproject}: {exc}", hint="fix the TOML syntax of the file"
        ) from exc
    tool = data.get("tool", {}).get("dativo", {})
    table = tool.get("conformance") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(
            f"{pyproject} has no [tool.dativo.conformance] table",
            hint='add one: kind = "reader", connector = "NAME", fixture = "csv", '
            'config = { path = "{source}" } (see docs/conformance.md)',
        )
    project = data.get("project", {})
    extra = {
        "language": tool.get("language", "python"),
        "name": project.get("name"),
        "version": project.get("version"),
        "root": pyproject.parent,
    }
    try:
        return ProjectConfig.model_validate({**table, **extra})
    except ValidationError as exc:
        raise ConfigError(
            f"invalid [tool.dativo.conformance] in {pyproject}: "
            f"{format_validation_error(exc, prefix='tool.dativo.conformance.')}",
            hint="see docs/conformance.md for the keys and their values",
        ) from exc
