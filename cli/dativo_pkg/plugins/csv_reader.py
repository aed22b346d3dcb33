"""The built-in CSV reader: a thin, streaming wrapper around ``pyarrow.csv.open_csv``.

Speed comes from leaving pyarrow alone: it reads the file in blocks of
``block_size_mb``, parses and converts them on its thread pool, and every
batch it produces is handed on untouched. No Python runs per row, and memory
stays at a few blocks whatever the size of the file.

Types are inferred from the first block; declare ``column_types`` for columns
whose first block is not representative (a column that is empty at first, or
numeric at first and text later).

Errors:

* A malformed row (wrong number of columns) fails the read with its row
  number, or with ``on_error: skip`` is dropped and counted in
  ``CsvReader.skipped_rows`` (and logged as one warning at the end).
* A value that does not convert to its column type always fails the read:
  skipping would silently lose rows whose only fault is a type guess.

pyarrow only knows row numbers when it parses serially, and parsing serially
costs speed on every read to help only the failing ones. So the read runs
threaded, and when it fails without a row number the file is scanned again
serially, up to the first error, to name the row.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import AfterValidator, Field, field_validator

from dativo_pkg.errors import ConfigError, DataError, SourceUnreachable
from dativo_pkg.sdk import Incremental, PluginConfig, Reader

__all__ = ["CsvReader", "CsvReaderConfig", "parse_arrow_type"]

logger = logging.getLogger(__name__)

_MIB = 1 << 20

#: Parametrised type names that ``pa.type_for_alias`` does not know.
_PARAMETRISED_TYPES: dict[re.Pattern[str], Callable[[re.Match[str]], pa.DataType]] = {
    re.compile(r"decimal(128)?\((\d+),\s*(\d+)\)"): lambda m: pa.decimal128(int(m[2]), int(m[3])),
    re.compile(r"decimal256\((\d+),\s*(\d+)\)"): lambda m: pa.decimal256(int(m[1]), int(m[2])),
    re.compile(r"timestamp\[(s|ms|us|ns),\s*tz=([^\]]+)\]"): lambda m: pa.timestamp(m[1], m[2]),
}


def parse_arrow_type(name: str) -> pa.DataType:
    """Turn an Arrow type name (``int64``, ``timestamp[us]``, ``decimal128(15,2)``) into a type.

    Raises ValueError for a name that is not an Arrow type.
    """
    name = name.strip()
    for pattern, build in _PARAMETRISED_TYPES.items():
        match = pattern.fullmatch(name)
        if match:
            return build(match)
    return pa.type_for_alias(name)


def _check_type_name(name: str) -> str:
    try:
        parse_arrow_type(name)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            "not an Arrow type name (e.g. int64, float64, string, bool, date32, "
            "timestamp[us], decimal128(15,2))"
        ) from exc
    return name


ArrowTypeName = Annotated[str, AfterValidator(_check_type_name)]


class CsvReaderConfig(PluginConfig):
    """Config of the ``csv`` reader."""

    path: str = Field(description="The CSV file to read.")
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="Field separator (one character)."
    )
    header: bool = Field(default=True, description="Whether the first row holds column names.")
    column_names: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Column names. Without a header they name the columns (default f0, f1, "
        "...); with a header they replace the names in it.",
    )
    column_types: dict[str, ArrowTypeName] | None = Field(
        default=None,
        description="Arrow type per column, e.g. {amount: 'decimal128(15,2)', day: date32}. "
        "Columns not listed are inferred from the first block.",
    )
    block_size_mb: int = Field(
        default=4,
        ge=1,
        le=1024,
        description="Size in MiB of the blocks pyarrow reads and parses at once; memory use "
        "grows with it (a CSV -> Parquet run peaks near 330 MB at 4 MiB and 550 MB at 8 MiB, "
        "whatever the file size). It also bounds how much type inference sees.",
    )
    encoding: str = Field(default="utf8", description="Text encoding of the file.")
    null_values: list[str] | None = Field(
        default=None,
        description="Strings that mean null, in every column including text columns. "
        "Default: pyarrow's list ('', NULL, NA, N/A, NaN, ...), which leaves text columns "
        "as written.",
    )
    newlines_in_values: bool = Field(
        default=False,
        description="Allow line breaks inside quoted values (slower to split into blocks).",
    )
    on_error: Literal["fail", "skip"] = Field(
        default="fail",
        description="What to do with a row that has the wrong number of columns: fail the "
        "read naming the row, or skip and count it. Values that do not convert to their "
        "column type always fail.",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError as exc:
            raise ValueError("unknown text encoding") from exc
        return value


# Where pyarrow's error messages say which row and column failed.
_ROW = re.compile(r"Row #(\d+):\s*")
_COLUMN = re.compile(r"In CSV column #(\d+):\s*")
_PARSE_PREFIX = "CSV parse error: "


class CsvReader(Reader[CsvReaderConfig]):
    """Reads a CSV file as a stream of Arrow batches (pyarrow's multithreaded parser)."""

    config_model = CsvReaderConfig
    capabilities = ("streaming", "type-inference", "skip-bad-rows")
    filters_incremental = False

    def __init__(self, config: CsvReaderConfig) -> None:
        super().__init__(config)
        #: Malformed rows skipped by the current or last read (``on_error: skip``).
        self.skipped_rows = 0
        self._lock = threading.Lock()
        # Opened by ``schema()`` and not read yet: ``read()`` continues it, so
        # the first block is parsed once rather than twice.
        self._pending: pacsv.CSVStreamingReader | None = None
        self._active: pacsv.CSVStreamingReader | None = None

    @property
    def path(self) -> Path:
        return Path(self.config.path)

    def check(self) -> None:
        self.schema()

    def schema(self) -> pa.Schema:
        """The schema pyarrow inferred from the file's first block (opening it if needed)."""
        reader = self._pending or self._active
        if reader is None:
            reader = self._pending = self._open_counted()
        schema: pa.Schema = reader.schema
        return schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        """Stream the file's batches as pyarrow parses them (the runtime filters increments)."""
        reader = self._pending or self._open_counted()
        self._pending = None
        if self._active is not None:
            self._active.close()
        self._active = reader
        return self._stream(reader)

    def close(self) -> None:
        for reader in (self._pending, self._active):
            if reader is not None:
                reader.close()
        self._pending = self._active = None

    def _open_counted(self) -> pacsv.CSVStreamingReader:
        self.skipped_rows = 0
        return self._open(use_threads=True, count_skips=True)

    def _stream(self, reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
        batches = iter(reader)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeError) as exc:
                raise self._data_error(exc) from exc
            yield batch
        if self.skipped_rows:
            logger.warning(
                "%s: skipped %d malformed rows (on_error: skip)", self.path, self.skipped_rows
            )

    def _open(self, *, use_threads: bool, count_skips: bool) -> pacsv.CSVStreamingReader:
        if not self.path.is_file():
            raise SourceUnreachable(
                f"CSV file not found: {self.path}",
                hint="check the reader's `path` (relative paths start at the working directory)",
            )
        read_options, parse_options, convert_options = self._options(use_threads, count_skips)
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except (pa.ArrowInvalid, UnicodeError) as exc:
            raise self._data_error(exc) from exc
        except OSError as exc:  # permissions, I/O errors
            raise SourceUnreachable(
                f"cannot open CSV file {self.path}: {exc.strerror or type(exc).__name__}",
                hint="check that the user running the job can read the file",
            ) from exc
        self._check_declared_columns(reader.schema)
        return reader

    def _options(
        self, use_threads: bool, count_skips: bool
    ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
        cfg = self.config
        read_options = pacsv.ReadOptions(
            use_threads=use_threads,
            block_size=cfg.block_size_mb * _MIB,
            encoding=cfg.encoding,
            column_names=cfg.column_names,
            # Given names replace a header row, so skip it rather than read it as data.
            skip_rows=1 if cfg.header and cfg.column_names else 0,
            autogenerate_column_names=not cfg.header and not cfg.column_names,
        )
        parse_options = pacsv.ParseOptions(
            delimiter=cfg.delimiter,
            newlines_in_values=cfg.newlines_in_values,
            invalid_row_handler=self._skip_handler(count_skips),
        )
        convert_options = pacsv.ConvertOptions(
            column_types={k: parse_arrow_type(v) for k, v in (cfg.column_types or {}).items()},
        )
        if cfg.null_values is not None:
            convert_options.null_values = cfg.null_values
            convert_options.strings_can_be_null = True
        return read_options, parse_options, convert_options

    def _skip_handler(self, count: bool) -> Callable[[pacsv.InvalidRow], str] | None:
        """pyarrow's invalid-row callback for ``on_error: skip`` (None: fail on bad rows)."""
        if self.config.on_error == "fail":
            return None

        def skip(_row: pacsv.InvalidRow) -> str:
            if count:
                # pyarrow may call this from its parser threads.
                with self._lock:
                    self.skipped_rows += 1
            return "skip"

        return skip

    def _check_declared_columns(self, schema: pa.Schema) -> None:
        # pyarrow ignores types of absent columns; a typo there would go unnoticed.
        unknown = sorted(set(self.config.column_types or {}) - set(schema.names))
        if unknown:
            raise ConfigError(
                f"invalid config for csv reader: column_types names columns that "
                f"{self.path} does not have: {', '.join(unknown)}",
                hint=f"the file's columns are: {', '.join(schema.names)}",
            )

    def _data_error(self, exc: Exception) -> DataError:
        """Translate a pyarrow parse or conversion error, naming the row where possible."""
        message = str(exc)
        if isinstance(exc, pa.ArrowInvalid) and not _ROW.search(message):
            message = self._first_error_serially() or message
        row = _ROW.search(message)
        column = _COLUMN.search(message)
        detail = _COLUMN.sub("", _ROW.sub("", message)).removeprefix(_PARSE_PREFIX)
        where = [f"row {row[1]}"] if row else []
        if column:
            where.append(f"column {self._column_name(int(column[1]))!r}")
        parts = [str(self.path), ", ".join(where), detail]
        return DataError(": ".join(part for part in parts if part), hint=_hint_for(message))

    def _first_error_serially(self) -> str | None:
        """Scan serially up to the first error: only then does pyarrow know row numbers."""
        try:
            read_options, parse_options, convert_options = self._options(
                use_threads=False, count_skips=False
            )
            with pacsv.open_csv(
                self.path,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            ) as reader:
                for _batch in reader:
                    pass
        except pa.ArrowInvalid as exc:
            return str(exc)
        except (OSError, UnicodeError):
            return None
        return None

    def _column_name(self, index: int) -> str:
        """Name column ``index`` without asking pyarrow, which may be what just failed."""
        cfg = self.config
        names = cfg.column_names
        if names is None and cfg.header:
            try:
                with self.path.open(encoding=cfg.encoding, newline="") as fh:
                    names = next(csv.reader(fh, delimiter=cfg.delimiter), None)
            except (OSError, UnicodeError, csv.Error):
                names = None
        if names is None and not cfg.header:
            return f"f{index}"
        return names[index] if names and index < len(names) else f"#{index}"


#: Next steps per kind of CSV error, keyed by a phrase of pyarrow's message.
_HINTS = {
    "conversion error": "fix the value, or declare the column's type in `column_types` "
    "(types are inferred from the first block only)",
    "Expected": "fix the row, or set `on_error: skip` to skip rows with the wrong number "
    "of columns",
    "Empty CSV file": "the file is empty: a CSV file needs at least a header row",
}


def _hint_for(message: str) -> str:
    for phrase, hint in _HINTS.items():
        if phrase in message:
            return hint
    return "check `delimiter`, `encoding` and `header` against the file"
