"""Type stubs of the compiled extension (crates/{{ cookiecutter.project_slug }}-py)."""

import os
from typing import final

class ReaderError(Exception):
    """The native reader failed: bad CSV, unreadable file, bad cursor or option."""

class SourceUnreachable(ReaderError):
    """The path cannot be reached: missing, not permitted, or without CSV files."""

@final
class CsvStream:
    """An open CSV source, exported once as an Arrow C stream."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    def __arrow_c_schema__(self) -> object: ...
    def schema(self) -> object:
        """The batches' schema as an Arrow C schema capsule (``arrow_schema``)."""
    def close(self) -> None:
        """Release the open files now; a consumer still reading gets an error."""
    @property
    def closed(self) -> bool: ...

def open_csv(
    path: str | os.PathLike[str],
    *,
    batch_size: int = 65536,
    delimiter: str = ",",
    infer_rows: int | None = 10000,
    cursor_field: str | None = None,
    after: int | None = None,
) -> CsvStream:
    """Open a CSV file or a directory of ``*.csv`` files and infer its schema."""
