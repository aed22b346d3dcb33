"""Run dativo-ingest plugins (``custom_reader`` / ``custom_writer``) as SDK readers and writers.

A dativo-ingest job names its plugin as ``"path/to/file.py:ClassName"``; a
relative path is resolved against ``base_dir`` (the runtime passes it). The
file is imported as it is: :func:`install_shim` first makes ``from
dativo_ingest.plugins import BaseReader`` work when dativo-ingest itself is not
installed (see :mod:`dativo_pkg.compat.dativo_ingest_shim`).

Readers (:class:`LegacyReader`)
    The class gets ``source_config``: an object whose attributes are the keys
    of the job's ``source`` section (``connection``, ``credentials``,
    ``engine``, ``objects``, ``tables``, ``files``...). Mappings default to
    ``{}`` and everything else dativo-ingest knew to ``None``, so
    ``source_config.engine.get("options", {})`` works when the job has no
    ``engine``; a single ``object`` also appears as ``objects``.

    Each list of dicts ``extract()`` yields becomes one record batch. The
    schema is ``source.schema`` if the job declares it (``{column: type}``
    with Arrow type names such as ``int64``, ``timestamp[us]``, or the ODCS
    names ``integer``, ``number``, ``string``, ``boolean``, ``timestamp``,
    ``date``); otherwise it is inferred from the first non-empty batch (its
    keys in order of appearance, types as pyarrow infers them). Later
    batches are converted to it: missing keys become nulls, extra keys are
    dropped with one warning, a value that does not convert is a DataError
    naming the batch and the record. A column that is null throughout the
    first batch is typed ``null`` and stays so: declare it.

    ``schema()`` may have to start ``extract()`` to see the first batch; that
    batch and the running extraction are kept for ``read()``, so nothing is
    read twice. Such an extraction started without incremental state, so the
    reader reads everything and the runtime drops old rows: declare
    ``source.schema`` to let the reader use the state.

    ``state_manager``: ``None`` on a full read (what dativo-ingest passed when
    a job had no incremental state); on an incremental read, an
    :class:`~dativo_pkg.compat.dativo_ingest_shim.IncrementalStateManager`
    whose ``get_state()`` returns ``{"cursor_field": ..., "after": ...}``.
    State updates are ignored: the runtime keeps the state and filters rows
    itself (``filters_incremental`` is False), so a reader that ignores the
    state is still correct.

Writers (:class:`LegacyWriter`)
    The class gets ``asset_definition`` (``.name``: the target's ``asset``
    key or the job name; ``.schema``: ``[{"name", "type", "required"}]`` with
    ODCS type names; ``.target_config``), ``target_config`` (attributes from
    the job's ``target`` section, like ``source_config``) and ``output_base``.
    The real output directory is the target's ``output_base``, else
    ``connection.path``, else ``path``. The writer is handed a *staging*
    directory inside it instead (:class:`~dativo_pkg._internal.files.StagedDirectory`):
    whatever it writes under ``output_base`` is published all at once on
    commit, under the same relative names, and deleted on abort. Files
    with the same names as earlier output replace it, as in dativo-ingest.

    Records are ``batch.to_pylist()`` in chunks of at most
    :data:`WRITE_CHUNK_ROWS`; ``file_counter`` counts ``write_batch`` calls
    from 0. On commit, ``commit_files(metadata)`` runs first (anything it
    writes under ``output_base`` is published too; if it fails, nothing is),
    then the files are published. It sees the paths ``write_batch`` returned,
    which are inside the staging directory.

    What cannot be made atomic: a writer that writes anywhere but under
    ``output_base`` (S3, a database, an absolute path of its own). Such output
    appears while the job runs and stays after an abort; the adapter warns
    once when ``write_batch`` reports a local path outside ``output_base``.
    An ``output_base`` that is a URL is refused for the same reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import re
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import Field

from dativo_pkg._internal.blame import blame
from dativo_pkg._internal.files import StagedDirectory, recover_directory, sha256_file
from dativo_pkg.compat import dativo_ingest_shim
from dativo_pkg.compat.dativo_ingest_shim import IncrementalStateManager
from dativo_pkg.errors import (
    ConfigError,
    DataError,
    PluginCrashed,
    PluginError,
    SourceUnreachable,
)
from dativo_pkg.sdk import CommitResult, Incremental, PluginConfig, Reader, WriteContext, Writer

LEGACY_HINT = "this is an error in the dativo-ingest plugin; run with -vv for its traceback"

__all__ = [
    "WRITE_CHUNK_ROWS",
    "LegacyConfig",
    "LegacyReader",
    "LegacySection",
    "LegacyWriter",
    "install_shim",
    "load_legacy_reader",
    "load_legacy_writer",
]

log = logging.getLogger(__name__)

#: The most records one ``write_batch`` call receives (bounds the list of dicts).
WRITE_CHUNK_ROWS = 10_000

_SCHEMA_HINT = "declare the column types in the job's source.schema ({column: arrow type})"


class LegacyConfig(PluginConfig):
    """Which dativo-ingest class to run, and the job section it gets."""

    spec: str = Field(description="'path/to/file.py:ClassName'; a relative path is under base_dir")
    base_dir: Path = Field(description="the directory relative paths are resolved against")
    section: dict[str, Any] = Field(
        default_factory=dict,
        description="the job's source or target section without custom_reader/custom_writer",
    )


# --- loading the class ---------------------------------------------------------------------


def install_shim() -> bool:
    """Make ``dativo_ingest.plugins`` importable unless the real dativo-ingest is.

    Returns whether the shim was installed by this call.
    """
    if "dativo_ingest.plugins" in sys.modules:
        return False
    with contextlib.suppress(ImportError, ValueError):
        if importlib.util.find_spec("dativo_ingest") is not None:
            return False
    package = types.ModuleType("dativo_ingest", "dativo-ingest stand-in installed by dativo-pkg")
    package.__path__ = []
    for name in ("plugins", "validator"):
        setattr(package, name, dativo_ingest_shim)
        sys.modules[f"dativo_ingest.{name}"] = dativo_ingest_shim
    sys.modules["dativo_ingest"] = package
    return True


def load_legacy_class(spec: str, base_dir: Path, method: str) -> type[Any]:
    """The class ``spec`` names, checked to implement ``method``."""
    path_text, _, class_name = spec.rpartition(":")
    if not path_text or not class_name.isidentifier():
        raise ConfigError(
            f"custom plugin {spec!r} does not name a class", hint=_spec_hint(base_dir)
        )
    path = Path(path_text).expanduser()
    path = path if path.is_absolute() else base_dir / path
    if not path.is_file():
        raise ConfigError(f"custom plugin file {path} does not exist", hint=_spec_hint(base_dir))
    module = _import_file(path)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        found = sorted(n for n, v in vars(module).items() if isinstance(v, type))
        raise ConfigError(
            f"{path} has no class {class_name!r} (classes there: {', '.join(found) or 'none'})",
            hint="class names are case-sensitive",
        )
    impl = getattr(cls, method, None)
    if not callable(impl) or getattr(impl, "__isabstractmethod__", False):
        raise PluginError(
            f"class {class_name} in {path} does not implement {method}(), "
            "so it is not a dativo-ingest plugin of this kind",
            hint="a custom_reader needs extract(); a custom_writer needs write_batch()",
        )
    return cls


def _spec_hint(base_dir: Path) -> str:
    return f"write 'path/to/file.py:ClassName'; a relative path is resolved against {base_dir}"


def _import_file(path: Path) -> types.ModuleType:
    """Import ``path`` once per process under a name of its own."""
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    name = f"dativo_legacy_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    install_shim()
    module_spec = importlib.util.spec_from_file_location(name, resolved)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(
            f"custom plugin file {path} is not a Python module",
            hint="name a .py file: 'path/to/file.py:ClassName'",
        )
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # before running it, as `import` does
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise PluginCrashed(
            f"importing custom plugin file {path} failed: {type(exc).__name__}: {exc}",
            hint="install what it imports into this environment, or fix the file",
        ) from exc
    return module


# --- what the legacy classes receive ---------------------------------------------------------

#: dativo-ingest's SourceConfig and TargetConfig fields: present, even when the job omits them.
_SOURCE_FIELDS = (
    *("type", "description", "objects", "files", "sheets", "tables"),
    *("incremental", "rate_limits", "dsn"),
)
_TARGET_FIELDS = (
    *("type", "catalog", "branch", "warehouse", "file_format", "partitioning"),
    *("markdown_kv_storage", "parquet_target_size_mb"),
)
#: Mappings plugins call ``.get`` on: ``{}`` rather than ``None`` when absent.
_MAPPING_FIELDS = ("connection", "credentials", "engine")


class LegacySection(types.SimpleNamespace):
    """A job section seen the way dativo-ingest showed it: keys as attributes."""

    def model_dump(self) -> dict[str, Any]:
        return dict(vars(self))


def _section(values: Mapping[str, Any], known: Sequence[str]) -> LegacySection:
    defaults: dict[str, Any] = {name: None for name in known}
    defaults.update({name: {} for name in _MAPPING_FIELDS})
    merged = {**defaults, **values}
    if merged.get("objects") is None and "object" in values:
        merged["objects"] = [values["object"]]
    return LegacySection(**merged)


@dataclass(frozen=True)
class LegacyAsset:
    """The ``asset_definition`` a legacy writer gets."""

    name: str
    schema: list[dict[str, Any]]
    target_config: LegacySection
    description: str | None = None
    tags: list[str] = field(default_factory=list)


#: Arrow type -> ODCS type name, as dativo-ingest asset definitions spell them.
_ODCS_NAMES = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "number"),
    (pa.types.is_decimal, "number"),
    (pa.types.is_string, "string"),
    (pa.types.is_large_string, "string"),
    (pa.types.is_timestamp, "timestamp"),
    (pa.types.is_date, "date"),
)
#: ODCS type name -> Arrow type, for ``source.schema``; other names are Arrow aliases.
_ODCS_TYPES = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def _odcs_name(arrow_type: pa.DataType) -> str:
    return next((name for test, name in _ODCS_NAMES if test(arrow_type)), str(arrow_type))


def _asset_schema(schema: pa.Schema) -> list[dict[str, Any]]:
    return [
        {"name": f.name, "type": _odcs_name(f.type), "required": not f.nullable} for f in schema
    ]


def _declared_schema(declared: Any) -> pa.Schema | None:
    if declared is None:
        return None
    if not isinstance(declared, Mapping):
        raise ConfigError("source.schema must map column names to type names", hint=_SCHEMA_HINT)
    fields = []
    for name, type_name in declared.items():
        try:
            arrow_type = _ODCS_TYPES.get(str(type_name)) or pa.type_for_alias(str(type_name))
        except ValueError as exc:
            raise ConfigError(
                f"source.schema.{name}: unknown type {type_name!r}",
                hint="use an Arrow type name (int64, float64, string, bool, date32, "
                "timestamp[us]) or integer, number, string, boolean, timestamp, date",
            ) from exc
        fields.append(pa.field(str(name), arrow_type))
    return pa.schema(fields)


# --- reader --------------------------------------------------------------------------------


_END = object()


class _Extraction:
    """The lists an ``extract()`` call yields, numbered from 1, empty ones skipped."""

    def __init__(self, owner: str, batches: Any) -> None:
        self._owner = owner
        with blame(f"{owner}.extract()", hint=LEGACY_HINT):
            self._batches: Iterator[Any] = iter(batches)
        self._number = 0
        self._peeked: tuple[int, list[Any]] | None = None

    def peek(self) -> tuple[int, list[Any]] | None:
        """The first non-empty batch, kept for iteration; None if there is none."""
        if self._peeked is None:
            self._peeked = self._next()
        return self._peeked

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        first, self._peeked = self._peeked, None
        if first is not None:
            yield first
        while (item := self._next()) is not None:
            yield item

    def _next(self) -> tuple[int, list[Any]] | None:
        while True:
            with blame(f"{self._owner}.extract()", hint=LEGACY_HINT):
                records = next(self._batches, _END)
            if records is _END:
                return None
            self._number += 1
            if not isinstance(records, list | tuple):
                raise PluginError(
                    f"{self._owner}.extract() yielded a {type(records).__name__} as batch "
                    f"{self._number}; it must yield lists of dicts"
                )
            if records:
                return self._number, list(records)

    def close(self) -> None:
        close = getattr(self._batches, "close", None)
        if callable(close):
            with blame(f"{self._owner}.extract()", hint=LEGACY_HINT):
                close()


class _Converter:
    """Lists of dicts -> record batches of one schema."""

    def __init__(self, owner: str, schema: pa.Schema) -> None:
        self.owner = owner
        self.schema = schema
        self._warned = False

    @classmethod
    def infer(cls, owner: str, number: int, records: list[Any]) -> _Converter:
        """The schema of the first batch: its keys in order, pyarrow's inferred types."""
        _check_dicts(owner, number, records)
        names = list(dict.fromkeys(key for record in records for key in record))
        converter = cls(owner, pa.schema([]))
        types_ = [converter._column(number, records, name, None).type for name in names]
        converter.schema = pa.schema(list(zip(names, types_, strict=True)))
        return converter

    def convert(self, number: int, records: list[Any]) -> pa.RecordBatch:
        _check_dicts(self.owner, number, records)
        self._warn_extra_keys(number, records)
        columns = [self._column(number, records, f.name, f.type) for f in self.schema]
        return pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def _column(
        self, number: int, records: list[Any], name: str, arrow_type: pa.DataType | None
    ) -> pa.Array:
        values = [record.get(name) for record in records]
        try:
            return pa.array(values, type=arrow_type)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            expected = arrow_type or _first_type(values)
            index = _first_unconvertible(values, expected)
            where = f", record {index + 1}" if index is not None else ""
            problem = f"does not convert to {expected}" if expected else "mixes types"
            raise DataError(
                f"{self.owner}.extract() batch {number}{where}: field {name!r} {problem}: {exc}",
                hint=_SCHEMA_HINT,
            ) from exc

    def _warn_extra_keys(self, number: int, records: list[Any]) -> None:
        if self._warned:
            return
        extra = dict.fromkeys(k for r in records for k in r if k not in self.schema.names)
        if extra:
            self._warned = True
            log.warning(
                "%s.extract() batch %d has keys not in the schema, dropped (warned once): %s",
                self.owner,
                number,
                ", ".join(map(str, extra)),
            )


def _check_dicts(owner: str, number: int, records: list[Any]) -> None:
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise DataError(
                f"{owner}.extract() batch {number}, record {index + 1}: "
                f"a {type(record).__name__}, not a dict"
            )


def _first_type(values: list[Any]) -> pa.DataType | None:
    first = next((v for v in values if v is not None), None)
    with contextlib.suppress(pa.ArrowException, TypeError, ValueError, OverflowError):
        return pa.array([first]).type
    return None


def _first_unconvertible(values: list[Any], arrow_type: pa.DataType | None) -> int | None:
    """Where the first value that does not convert on its own is (only on the error path)."""
    for index, value in enumerate(values):
        try:
            pa.array([value], type=arrow_type)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return index
    return None


class LegacyReader(Reader[LegacyConfig]):
    """A dativo-ingest ``BaseReader`` subclass, seen as a dativo reader."""

    config_model = LegacyConfig

    def __init__(self, config: LegacyConfig) -> None:
        super().__init__(config)
        cls = load_legacy_class(config.spec, config.base_dir, "extract")
        self.owner = cls.__name__
        declared = _declared_schema(config.section.get("schema"))
        self._converter = _Converter(self.owner, declared) if declared is not None else None
        with blame(f"{self.owner}.__init__()", hint=LEGACY_HINT):
            self.plugin = cls(_section(config.section, _SOURCE_FIELDS))
        self._extraction: _Extraction | None = None

    def check(self) -> None:
        check = getattr(self.plugin, "check_connection", None)
        if not callable(check):
            return
        with blame(f"{self.owner}.check_connection()", hint=LEGACY_HINT):
            result = check()
        if getattr(result, "success", True) is False:
            raise SourceUnreachable(
                f"{self.owner}.check_connection() failed: {getattr(result, 'message', '')}",
                hint="check the connection and credentials in the job's source section",
            )

    def schema(self) -> pa.Schema:
        return self._ready(None).schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        if self._extraction is not None and incremental is not None:
            log.info(
                "%s.extract() was started without state to infer the schema; the runtime "
                "filters by %s instead (declare source.schema to let the reader do it)",
                self.owner,
                incremental.cursor_field,
            )
        converter = self._ready(incremental)
        extraction, self._extraction = self._extraction, None
        assert extraction is not None
        return (converter.convert(number, records) for number, records in extraction)

    def estimated_rows(self) -> int | None:
        """The legacy reader's ``get_total_records_estimate()``, if it has one."""
        estimate = getattr(self.plugin, "get_total_records_estimate", None)
        if not callable(estimate):
            return None
        with blame(f"{self.owner}.get_total_records_estimate()", hint=LEGACY_HINT):
            value = estimate()
        return value if isinstance(value, int) else None

    def close(self) -> None:
        if self._extraction is not None:
            self._extraction.close()
            self._extraction = None
        close = getattr(self.plugin, "close", None)
        if callable(close):
            with blame(f"{self.owner}.close()", hint=LEGACY_HINT):
                close()

    def _ready(self, incremental: Incremental | None) -> _Converter:
        """Start extract() if needed; infer the schema from its first batch if needed."""
        if self._extraction is None:
            state = None
            if incremental is not None:
                state = IncrementalStateManager(incremental.cursor_field, incremental.after)
            with blame(f"{self.owner}.extract()", hint=LEGACY_HINT):
                batches = self.plugin.extract(state)
            self._extraction = _Extraction(self.owner, batches)
        if self._converter is None:
            first = self._extraction.peek()
            empty = _Converter(self.owner, pa.schema([]))  # extract() yielded nothing
            self._converter = _Converter.infer(self.owner, *first) if first else empty
        return self._converter


# --- writer --------------------------------------------------------------------------------

#: Where a dativo-ingest target keeps its output directory, in order of preference.
_OUTPUT_KEYS = (("output_base",), ("connection", "path"), ("path",))


def _output_base(section: Mapping[str, Any], base_dir: Path) -> Path:
    for keys in _OUTPUT_KEYS:
        value: Any = section
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            where = "target." + ".".join(keys)
            if "://" in value:
                raise ConfigError(
                    f"{where} is a URL, but a dativo-ingest writer can only be made atomic "
                    "in a local directory",
                    hint="write to a local directory, or port the writer to the dativo SDK",
                )
            path = Path(value).expanduser()
            return path if path.is_absolute() else base_dir / path
    raise ConfigError(
        "a dativo-ingest writer needs a local output directory",
        hint="set target.output_base (or target.connection.path, or target.path)",
    )


class LegacyWriter(Writer[LegacyConfig]):
    """A dativo-ingest ``BaseWriter`` subclass writing into a staging directory."""

    config_model = LegacyConfig

    def __init__(self, config: LegacyConfig) -> None:
        super().__init__(config)
        self._cls = load_legacy_class(config.spec, config.base_dir, "write_batch")
        self.owner = self._cls.__name__
        self.output_base = _output_base(config.section, config.base_dir)
        self._staged: StagedDirectory | None = None
        self._plugin: Any = None
        self._metadata: list[dict[str, Any]] = []
        self._rows = self._calls = 0
        self._warned_outside = False

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        section = self.config.section
        target_config = _section(section, _TARGET_FIELDS)
        name = section.get("asset")
        asset = LegacyAsset(
            name=name if isinstance(name, str) else context.job_name,
            schema=_asset_schema(schema),
            target_config=target_config,
        )
        self._staged = StagedDirectory(self.output_base, context.commit_id)
        self._metadata, self._rows, self._calls = [], 0, 0
        with blame(f"{self.owner}.__init__()", hint=LEGACY_HINT):
            self._plugin = self._cls(asset, target_config, str(self._staged.staging))

    def write(self, batch: pa.RecordBatch) -> None:
        staged = self._opened()
        for offset in range(0, batch.num_rows, WRITE_CHUNK_ROWS):
            records = batch.slice(offset, WRITE_CHUNK_ROWS).to_pylist()
            with blame(f"{self.owner}.write_batch()", hint=LEGACY_HINT):
                metadata = self._plugin.write_batch(records, self._calls)  # file_counter
            self._calls += 1
            self._metadata.extend(self._checked(metadata, staged))
            self._rows += len(records)

    def commit(self) -> CommitResult:
        staged = self._opened()
        commit_files = getattr(self._plugin, "commit_files", None)
        if callable(commit_files):
            with blame(f"{self.owner}.commit_files()", hint=LEGACY_HINT):
                commit_files(self._metadata)
        published = staged.commit()
        self._staged = None
        return CommitResult(
            rows=self._rows,
            bytes=sum(path.stat().st_size for path in published),
            files=[str(path) for path in published],
            checksums={str(path): sha256_file(path) for path in published},
        )

    def abort(self) -> None:
        if self._staged is not None:
            self._staged.abort()
            self._staged = None

    def recover(self, commit_id: str) -> bool:
        return recover_directory(self.output_base, commit_id=commit_id)

    def close(self) -> None:
        self.abort()

    def _opened(self) -> StagedDirectory:
        if self._staged is None:
            raise PluginError(f"{self.owner} adapter used before open() or after commit/abort")
        return self._staged

    def _checked(self, metadata: Any, staged: StagedDirectory) -> list[dict[str, Any]]:
        if metadata is None:
            return []
        if not isinstance(metadata, list) or not all(isinstance(m, dict) for m in metadata):
            raise PluginError(
                f"{self.owner}.write_batch() returned a {type(metadata).__name__}; "
                "it must return a list of file metadata dicts"
            )
        for entry in metadata:
            self._warn_if_outside(entry.get("path"), staged)
        return metadata

    def _warn_if_outside(self, path: Any, staged: StagedDirectory) -> None:
        if self._warned_outside or not isinstance(path, str):
            return
        if "://" in path or not Path(path).resolve().is_relative_to(staged.staging.resolve()):
            self._warned_outside = True
            log.warning(
                "%s wrote %s outside its output_base: that output is not staged, so it is "
                "visible before commit and stays after an abort",
                self.owner,
                path,
            )


def load_legacy_reader(spec: str, source: Mapping[str, Any], base_dir: Path) -> Reader[Any]:
    """The dativo-ingest reader ``spec`` names, given the job's ``source`` section."""
    return LegacyReader(LegacyConfig(spec=spec, base_dir=base_dir, section=dict(source)))


def load_legacy_writer(spec: str, target: Mapping[str, Any], base_dir: Path) -> Writer[Any]:
    """The dativo-ingest writer ``spec`` names, given the job's ``target`` section."""
    return LegacyWriter(LegacyConfig(spec=spec, base_dir=base_dir, section=dict(target)))
