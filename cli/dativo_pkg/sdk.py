"""The plugin contract, API version 1: reader and writer base classes.

A reader turns a validated config into Arrow record batches; a writer turns
record batches into durable output that appears all at once on ``commit`` and
not at all on ``abort``. Both declare a pydantic config model, whose JSON
Schema is published in the plugin manifest.

Subclass :class:`Reader` and implement ``schema`` and ``read``; subclass
:class:`Writer` and implement ``open``, ``write``, ``commit`` and ``abort``.
Everything else has a working default.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeAlias, TypeVar, runtime_checkable

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from dativo_pkg.errors import ConfigError

__all__ = [
    "API_VERSION",
    "BatchSource",
    "CommitResult",
    "Incremental",
    "PluginConfig",
    "Reader",
    "WriteContext",
    "Writer",
    "format_validation_error",
    "validate_config",
]

#: The plugin API version this runtime implements. Plugins declare a range.
API_VERSION = 1


@runtime_checkable
class ArrowStreamExportable(Protocol):
    """Anything that speaks the Arrow PyCapsule stream interface (e.g. a Rust reader)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


#: What ``Reader.read`` may return: batches, a RecordBatchReader, or a C stream.
BatchSource: TypeAlias = Iterable[pa.RecordBatch] | pa.RecordBatchReader | ArrowStreamExportable


class PluginConfig(BaseModel):
    """Base for plugin config models: unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ConfigT = TypeVar("ConfigT", bound=PluginConfig)


@dataclass(frozen=True)
class Incremental:
    """An incremental read: only rows whose ``cursor_field`` is greater than ``after``.

    ``after`` is ``None`` on the first run. The runtime derives the next state
    from the largest cursor value among the rows it delivered, so a reader
    only has to honour ``after`` (see ``Reader.filters_incremental``).
    """

    cursor_field: str
    after: Any | None = None


@dataclass(frozen=True)
class WriteContext:
    """What a writer learns about the run it is part of.

    ``commit_id`` is derived from the job and its starting state, so a replay
    of the same range after a crash carries the same id: writers that name
    their output after it, or record it with their data, make replays
    idempotent and let :meth:`Writer.recover` answer whether it committed.
    """

    job_name: str
    commit_id: str


@dataclass
class CommitResult:
    """What a writer made durable: files (or tables), rows, bytes and checksums."""

    rows: int
    bytes: int
    files: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)


def format_validation_error(exc: ValidationError, *, prefix: str = "") -> str:
    """Render a pydantic error naming each field and rule, never the value.

    Values are left out on purpose: a config may hold interpolated secrets.
    """
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "(config)"
        lines.append(f"{prefix}{where}: {err['msg']}")
    return "; ".join(lines)


def validate_config(model: type[ConfigT], raw: Mapping[str, Any], *, what: str) -> ConfigT:
    """Validate ``raw`` against ``model`` or raise ConfigError naming the field and rule."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(
            f"invalid config for {what}: {format_validation_error(exc)}",
            hint="fix the field in the job file; `dativo-pkg plugins --json` shows each "
            "plugin's config schema",
        ) from exc


class _Plugin(ABC, Generic[ConfigT]):
    #: The pydantic model of this plugin's config.
    config_model: ClassVar[type[PluginConfig]]
    #: Language the plugin is written in, as published in its manifest.
    language: ClassVar[str] = "python"
    #: The plugin API versions this plugin supports (PEP 440 specifier).
    api_range: ClassVar[str] = ">=1,<2"
    #: Free-form capability tags shown in the marketplace.
    capabilities: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], *, name: str | None = None) -> Self:
        """Validate a raw config mapping and build the plugin (no I/O happens here)."""
        config = validate_config(cls.config_model, raw, what=name or cls.__name__)
        return cls(config)  # type: ignore[arg-type]

    def check(self) -> None:
        """Check the connection; raise SourceUnreachable with a hint if it fails."""

    def close(self) -> None:
        """Release connections and files. Called exactly once, also after errors."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Reader(_Plugin[ConfigT]):
    """Base class of every reader."""

    #: True when ``read`` itself drops rows with cursor <= ``incremental.after``
    #: (pushdown). Otherwise the runtime filters the batches it receives.
    filters_incremental: ClassVar[bool] = False
    #: The runtime reads one batch ahead on a background thread, so reading
    #: and writing overlap. Set False if ``read`` must stay on its own thread.
    read_ahead: ClassVar[bool] = True
    #: Rows the reader dropped under its own error policy (e.g. ``on_error: skip``);
    #: the run summary reports it.
    skipped_rows: int = 0

    @abstractmethod
    def schema(self) -> pa.Schema:
        """The Arrow schema of the batches ``read`` will produce."""

    @abstractmethod
    def read(self, incremental: Incremental | None = None) -> BatchSource:
        """Produce the data: an iterable of batches, a RecordBatchReader or a C stream."""


class Writer(_Plugin[ConfigT]):
    """Base class of every writer: output appears whole on commit, never in part."""

    @abstractmethod
    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        """Prepare to receive batches of ``schema`` (staging files, a transaction...)."""

    @abstractmethod
    def write(self, batch: pa.RecordBatch) -> None:
        """Write one batch to the staging area."""

    @abstractmethod
    def commit(self) -> CommitResult:
        """Make everything written visible at once, and say what was written."""

    @abstractmethod
    def abort(self) -> None:
        """Discard everything written since ``open``. Must be safe to call twice."""

    def recover(self, commit_id: str) -> bool:
        """Finish or undo an interrupted commit; return True if ``commit_id`` is durable.

        Called before a run when the previous run of the job died between
        asking for a commit and recording its state. The default says "not
        committed", which is right for writers that commit in one atomic step
        and do not record commit ids (the replay then rewrites the range).
        """
        return False


def iter_batches(source: BatchSource) -> Iterator[pa.RecordBatch]:
    """Yield record batches from anything ``Reader.read`` may return."""
    if isinstance(source, pa.RecordBatchReader):
        yield from source
    elif isinstance(source, ArrowStreamExportable) and not isinstance(source, Iterable):
        yield from pa.RecordBatchReader.from_stream(source)
    else:
        yield from source
