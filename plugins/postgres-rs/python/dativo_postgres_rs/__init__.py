"""The reference Rust PostgreSQL reader for Dativo (connector ``postgres_rs``).

The reader is published under the connector name ``postgres_rs`` (entry point
group ``dativo.readers``); ``dativo-plugin.json`` beside this file is its
manifest. Its config is the ``postgres`` reader's plus ``partitions`` and
``partition_column``, so switching a job is one line. The reading is Rust:
``dativo_postgres_rs._native`` is the compiled extension
(crates/postgres-rs-py) over the pure-Rust crate crates/postgres-rs-core.
"""

from dativo_postgres_rs.reader import PostgresRsReader, PostgresRsReaderConfig
from dativo_postgres_rs.stream import PostgresRsBatches

__all__ = ["PostgresRsBatches", "PostgresRsReader", "PostgresRsReaderConfig"]
__version__ = "0.1.0"
