"""Executable plugins: readers and writers in any language, spoken to over Arrow IPC.

A plugin written in Go, C++ or any other language ships a program (named by
``executable`` in its manifest). The runtime wraps it in
:class:`ExecutableReader` or :class:`ExecutableWriter`, so the rest of dativo
sees an ordinary :class:`~dativo_pkg.sdk.Reader` or
:class:`~dativo_pkg.sdk.Writer`. What follows is the public contract, version 1;
``docs/executable-plugins.md`` repeats it with Go and C++ examples.

Invocation
    ``EXE COMMAND --config CONFIG_FILE [OPTIONS]``. Unknown commands or
    options should exit with status 2. The working directory and the
    environment are the runtime's.

The config file
    The plugin's config from the job, as one JSON object, already validated
    against the ``config_schema`` of the manifest (JSON Schema draft 2020-12).
    Dates and datetimes are ISO 8601 strings. The config may hold secrets, so
    it never appears on a command line, and never lingers on disk: the
    runtime writes it to a file of mode 0600 in a fresh private (0700)
    temporary directory, opens it, deletes file and directory, and starts the
    program with the open file inherited. ``--config`` names it as
    ``/dev/fd/N``. Open it once, read it, do not copy it anywhere.

Reader commands (stdin is ``/dev/null``)
    ``EXE schema --config F``
        Write an Arrow IPC *stream* to stdout holding only the schema (zero
        record batches), then exit 0.
    ``EXE read --config F [--state S]``
        Write an Arrow IPC stream of record batches to stdout, all with the
        schema ``schema`` reports, then exit 0. ``S`` (given on incremental
        runs, passed like the config) is a JSON file ``{"cursor_field": NAME,
        "after": VALUE}``: only rows whose ``cursor_field`` is greater than
        ``after`` are wanted. ``after`` is ``null`` on the first run; dates
        and datetimes are ISO strings. Honouring it is an optimisation: the
        runtime drops older rows itself. Write batches as they are produced;
        the runtime reads the stream incrementally, so memory stays bounded
        on both sides.
    ``EXE check --config F``
        Exit 0 if the source is reachable; otherwise exit non-zero with the
        reason on stderr (reported as "source unreachable").

Writer commands
    ``EXE write --config F --commit-id ID --job NAME``
        stdin carries an Arrow IPC stream (schema, batches, end-of-stream
        marker) followed by the 7 bytes ``COMMIT\\n``, then end of file.
        Stage the output where it is not visible. When the stream has ended
        *and* the rest of stdin is exactly ``COMMIT\\n``, make the output
        visible atomically, print one JSON line (wrapped here) to stdout::

            {"rows": 10, "bytes": 2048, "files": ["out/ID.parquet"],
             "checksums": {"out/ID.parquet": "<sha256 hex>"}}

        (``checksums`` may be omitted) and exit 0. Anything else is an ABORT
        and must leave no visible output: end of file without the
        ``COMMIT\\n`` trailer (the runtime aborted, or died), a truncated
        stream, SIGTERM. Name the output after the commit id, so ``recover``
        can tell whether a commit happened and a replay of the same id
        replaces rather than duplicates.
    ``EXE recover --config F --commit-id ID``
        The runtime died after asking for commit ``ID`` and before recording
        its outcome. Finish or undo that commit, print one JSON line
        ``{"committed": true}`` or ``{"committed": false}`` (is ``ID``'s data
        durable?) and exit 0.

    Why a trailer rather than "stdin closed after the end-of-stream marker":
    standard Arrow stream readers (pyarrow, Go ``ipc.Reader``, C++
    ``RecordBatchStreamReader``) end quietly at end of file on a message
    boundary, exactly as at the end-of-stream marker. A runtime killed
    between two batches would then look like a commit. The trailer comes
    after the stream, so a plugin reads it with the same file handle once its
    stream reader is done, and every way of dying looks like an abort.

stderr
    Free text, one log line per line, UTF-8. Each line goes to the Python
    logger ``dativo.plugin.<connector>``, at the level its first word names
    (``DEBUG``, ``INFO``, ``WARN``/``WARNING``, ``ERROR``, ``FATAL``/
    ``CRITICAL``, optionally in brackets or followed by ``:``), else INFO.
    The last lines are quoted when the program fails. It is drained
    concurrently, so a chatty plugin never blocks.

Exit status and signals
    Non-zero exit: PluginError "plugin C exited with status N" (SourceUnreachable
    for ``check``) quoting the last stderr lines. Death by a signal:
    PluginCrashed "plugin C was killed by signal SIGSEGV". A stream that is
    not valid Arrow IPC or ends mid-message: PluginError. The program runs in
    its own process group; when the runtime stops it early (an error, a
    consumer that stops reading, an abort the plugin did not act on) it sends
    SIGTERM to the group and SIGKILL five seconds later. SIGTERM means "stop
    now, commit nothing".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, Self, TypeVar

import pyarrow as pa
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError, ValidationError  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as ModelError

from dativo_pkg.errors import (
    CompatibilityError,
    ConfigError,
    DativoError,
    PluginCrashed,
    PluginError,
    SourceUnreachable,
)
from dativo_pkg.manifest import PluginSpec
from dativo_pkg.sdk import (
    CommitResult,
    Incremental,
    PluginConfig,
    Reader,
    WriteContext,
    Writer,
    format_validation_error,
)

__all__ = [
    "COMMIT_TRAILER",
    "ExecutableConfig",
    "ExecutableReader",
    "ExecutableWriter",
    "validate_against_schema",
]

#: What follows the end-of-stream marker on a writer's stdin to mean COMMIT.
COMMIT_TRAILER = b"COMMIT\n"
#: Seconds between SIGTERM and SIGKILL, and a plugin's time to act on an abort.
GRACE_SECONDS = 5.0
#: How many of the last stderr lines an error message quotes.
STDERR_TAIL_LINES = 10
#: How many of the last stdout lines are kept to find a result line in.
STDOUT_KEPT_LINES = 10
#: Longer lines are split: a line never makes the runtime buffer without bound.
MAX_LINE_BYTES = 64 * 1024

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "CRITICAL": logging.CRITICAL,
}
_FIRST_WORD = re.compile(r"^\W*([A-Za-z]+)")
_BAD_STREAM = "wrote a truncated or invalid Arrow IPC stream"
_REINSTALL = "reinstall the plugin's distribution with `dativo-pkg install`"


class ExecutableConfig(PluginConfig):
    """The config of an executable plugin: free-form, checked by the plugin's JSON Schema."""

    values: dict[str, Any] = Field(
        default_factory=dict,
        description="the plugin's own config, validated against the config_schema "
        "of its manifest and handed to the program as a JSON file",
    )


# --- config validation ------------------------------------------------------------------

# Each rule is described from the *schema* (never the offending value: it may be a secret).
_RULES: dict[str, Callable[[Any], str]] = {
    "type": lambda v: f"must be of type {' or '.join(v) if isinstance(v, list) else v}",
    "enum": lambda v: f"must be one of {', '.join(repr(x) for x in v)}",
    "const": lambda v: f"must be {v!r}",
    "minimum": lambda v: f"must be >= {v}",
    "maximum": lambda v: f"must be <= {v}",
    "exclusiveMinimum": lambda v: f"must be > {v}",
    "exclusiveMaximum": lambda v: f"must be < {v}",
    "multipleOf": lambda v: f"must be a multiple of {v}",
    "minLength": lambda v: f"must be at least {v} characters long",
    "maxLength": lambda v: f"must be at most {v} characters long",
    "pattern": lambda v: f"must match the pattern {v!r}",
    "format": lambda v: f"must be a valid {v}",
    "minItems": lambda v: f"must have at least {v} items",
    "maxItems": lambda v: f"must have at most {v} items",
    "uniqueItems": lambda v: "must not repeat items",
    "minProperties": lambda v: f"must have at least {v} keys",
    "maxProperties": lambda v: f"must have at most {v} keys",
}


def _where(path: Any, *more: str) -> str:
    return ".".join([*(str(part) for part in path), *more]) or "(config)"


def _missing_keys(error: ValidationError) -> list[tuple[str, str]]:
    present = error.instance if isinstance(error.instance, dict) else {}
    return [
        (_where(error.absolute_path, key), f"{key!r} is a required property")
        for key in error.validator_value
        if key not in present
    ]


def _unknown_keys(error: ValidationError) -> list[tuple[str, str]]:
    known = error.schema.get("properties", {})
    patterns = error.schema.get("patternProperties", {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [
        (_where(error.absolute_path, key), "is not an allowed property")
        for key in instance
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]


# Rules about keys name the keys; keys are not secret, values may be.
_KEY_RULES: dict[str, Callable[[ValidationError], list[tuple[str, str]]]] = {
    "required": _missing_keys,
    "additionalProperties": _unknown_keys,
    "unevaluatedProperties": _unknown_keys,
}


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    keyword = str(error.validator)
    if keyword in _KEY_RULES:
        return _KEY_RULES[keyword](error)
    rule = _RULES.get(keyword)
    text = rule(error.validator_value) if rule else f"violates the {keyword!r} rule"
    return [(_where(error.absolute_path), text)]


def _to_json_value(value: Any) -> Any:
    """JSON for what YAML can produce beyond plain JSON: dates, times, decimals, paths."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_to_json_value)


def validate_against_schema(raw: Mapping[str, Any], spec: PluginSpec) -> dict[str, Any]:
    """Return ``raw`` as the program will see it (JSON), or raise ConfigError.

    The message names each field and rule, never a value.
    """
    what = f"{spec.kind} {spec.connector!r}"
    try:
        Draft202012Validator.check_schema(spec.config_schema)
    except SchemaError as exc:
        raise CompatibilityError(
            f"{what} publishes an invalid config schema: {exc.message}", hint=_REINSTALL
        ) from exc
    try:
        values: dict[str, Any] = json.loads(_dumps(dict(raw)))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid config for {what}: {exc}") from exc
    errors = Draft202012Validator(spec.config_schema).iter_errors(values)
    lines = [
        f"{where}: {text}"
        for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
        for where, text in _describe(error)
    ]
    if lines:
        raise ConfigError(
            f"invalid config for {what}: {'; '.join(dict.fromkeys(lines))}",
            hint="fix the field in the job file; `dativo-pkg plugins --json` shows each "
            "plugin's config schema",
        )
    return values


def check_executable(path: Path, spec: PluginSpec) -> None:
    """Refuse a missing or non-executable program before anything runs."""
    if not path.is_file():
        problem = "is missing"
    elif not os.access(path, os.X_OK):
        problem = "is not executable"
    else:
        return
    raise CompatibilityError(
        f"the program {path} of {spec.kind} {spec.connector!r} {problem}", hint=_REINSTALL
    )


# --- one run of the program ---------------------------------------------------------------


class _InheritedFiles:
    """JSON files only the child can read, with no name on disk while it runs.

    Each is written with mode 0600 in a fresh 0700 directory, opened for
    reading, and removed with its directory at once; the program inherits the
    open descriptor and reads ``/dev/fd/N``. So a config (and its secrets)
    never lingers on disk, not even when the runtime is killed.
    """

    def __init__(self) -> None:
        self.fds: list[int] = []

    def add(self, value: Any) -> str:
        with tempfile.TemporaryDirectory(prefix="dativo-plugin-") as private:
            path = Path(private) / "data.json"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(_dumps(value))
            self.fds.append(os.open(path, os.O_RDONLY))
        return f"/dev/fd/{self.fds[-1]}"

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()


def _pump(pipe: IO[bytes], sink: Callable[[str], None]) -> None:
    """Hand each line of ``pipe`` to ``sink`` until end of file (runs in a thread)."""
    with pipe:
        for raw in iter(lambda: pipe.readline(MAX_LINE_BYTES), b""):
            sink(raw.decode("utf-8", "replace").rstrip("\r\n"))


StdoutMode = Literal["stream", "lines"]


class _Child:
    """One running plugin process, its stderr (and stdout lines) drained by threads."""

    def __init__(
        self,
        connector: str,
        argv: list[str],
        *,
        stdin: bool,
        stdout: StdoutMode,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        self.connector = connector
        self.log = logging.getLogger(f"dativo.plugin.{connector}")
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self.stdout_lines: deque[str] = deque(maxlen=STDOUT_KEPT_LINES)
        self._stdout = stdout
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: signals reach its helpers too
                pass_fds=pass_fds,
            )
        except OSError as exc:
            raise CompatibilityError(
                f"cannot start plugin {connector} ({argv[0]}): {exc.strerror}", hint=_REINSTALL
            ) from exc
        assert self.process.stderr is not None and self.process.stdout is not None
        self._threads = [self._drain(self.process.stderr, self._log_line)]
        if stdout == "lines":
            self._threads.append(self._drain(self.process.stdout, self.stdout_lines.append))

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def _drain(self, pipe: IO[bytes], sink: Callable[[str], None]) -> threading.Thread:
        thread = threading.Thread(target=_pump, args=(pipe, sink), daemon=True)
        thread.start()
        return thread

    def _log_line(self, line: str) -> None:
        self.stderr_tail.append(line)
        match = _FIRST_WORD.match(line)
        level = _LEVELS.get(match.group(1).upper(), logging.INFO) if match else logging.INFO
        self.log.log(level, "%s", line)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit (TimeoutExpired if it takes longer), then for its last lines."""
        returncode = self.process.wait(timeout)
        for thread in self._threads:
            thread.join(GRACE_SECONDS)
        return returncode

    def stop(self, *, patience: float = 0.0) -> None:
        """Make sure the process is gone and reaped: after ``patience``, SIGTERM, then SIGKILL."""
        if patience:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(patience)
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            self._close_pipes()  # a program blocked writing to us gets EPIPE, not a hang
            try:
                self.process.wait(GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        self._close_pipes()
        self.wait()

    def _close_pipes(self) -> None:
        # A stdout drained by a thread is the thread's to close.
        pipes = [self.process.stdin, self.process.stdout if self._stdout == "stream" else None]
        for pipe in pipes:
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()

    def _signal(self, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def check_exit(self, returncode: int, failure: type[DativoError] = PluginError) -> None:
        """Raise the error that ``returncode`` means, quoting the last stderr lines."""
        if returncode == 0:
            return
        if returncode < 0:
            raise PluginCrashed(
                f"plugin {self.connector} was killed by signal {_signal_name(-returncode)}"
                + self._tail(),
                hint="this is a bug in the plugin (or the machine ran out of memory)",
            )
        raise failure(f"plugin {self.connector} exited with status {returncode}" + self._tail())

    def _tail(self) -> str:
        lines = [line for line in self.stderr_tail if line.strip()]
        return "; its last stderr lines:\n" + "\n".join(f"  | {x}" for x in lines) if lines else ""

    def broken_pipe(self, exc: Exception, what: str) -> DativoError:
        """The error for a broken stdin/stdout: the exit status if it died, else ``what``."""
        try:
            returncode = self.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            returncode = 0
        try:
            self.check_exit(returncode)
        except DativoError as died:
            return died
        return PluginError(
            f"plugin {self.connector} {what}: {exc}",
            hint="the program must speak the Arrow IPC *stream* format (not the file format); "
            "see docs/executable-plugins.md",
        )


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


class _Report(BaseModel):
    """A JSON line a program prints on stdout."""

    model_config = ConfigDict(extra="ignore", strict=True)


class _CommitReport(_Report):
    rows: int = Field(ge=0)
    bytes: int = Field(ge=0)
    files: list[str] = Field(default_factory=list)
    checksums: dict[str, str] = Field(default_factory=dict)


class _RecoverReport(_Report):
    committed: bool


ReportT = TypeVar("ReportT", bound=_Report)


class _Program:
    """The plugin program with its validated config: runs one command at a time."""

    def __init__(self, executable: Path, spec: PluginSpec, values: dict[str, Any]) -> None:
        self.executable = executable
        self.connector = spec.connector
        self.values = values

    @contextlib.contextmanager
    def run(
        self,
        command: str,
        *options: str,
        state: Mapping[str, Any] | None = None,
        stdin: bool = False,
        stdout: StdoutMode = "lines",
    ) -> Iterator[_Child]:
        """Start ``command``; on leaving, the process is stopped and reaped."""
        files = _InheritedFiles()
        try:
            argv = [str(self.executable), command, "--config", files.add(self.values)]
            if state is not None:
                argv += ["--state", files.add(state)]
            argv += options
            child = _Child(
                self.connector, argv, stdin=stdin, stdout=stdout, pass_fds=tuple(files.fds)
            )
        finally:
            files.close()  # the program has its own descriptors now
        try:
            yield child
        finally:
            child.stop()

    def run_to_end(self, command: str, *options: str) -> _Child:
        """Run ``command`` to completion; raise if it failed."""
        with self.run(command, *options) as child:
            child.check_exit(child.wait())
        return child

    def report(self, child: _Child, model: type[ReportT]) -> ReportT:
        """Parse the JSON line the program printed last."""
        lines = [line for line in child.stdout_lines if line.strip()]
        try:
            return model.model_validate_json(lines[-1] if lines else "")
        except ModelError as exc:
            raise PluginError(
                f"plugin {self.connector} did not print a valid result line: "
                f"{format_validation_error(exc)}",
                hint="the last line on stdout must be the JSON object described in "
                "docs/executable-plugins.md",
            ) from exc


def _prepare(executable: Path, spec: PluginSpec, raw: Mapping[str, Any]) -> _Program:
    values = validate_against_schema(raw, spec)
    check_executable(executable, spec)
    return _Program(executable, spec, values)


class _ProgramPlugin:
    """How both wrappers are built: from a manifest entry, never from a config alone."""

    @classmethod
    def create(cls, executable: Path, spec: PluginSpec, raw_config: Mapping[str, Any]) -> Self:
        """Validate ``raw_config`` against the manifest's schema and wrap ``executable``."""
        program = _prepare(executable, spec, raw_config)
        # The constructor is the subclass's: (config, *, program).
        return cls(ExecutableConfig(values=program.values), program=program)  # type: ignore[call-arg]

    @classmethod
    def from_config(cls, raw: Mapping[str, Any], *, name: str | None = None) -> Self:
        raise CompatibilityError(
            f"{name or cls.__name__} runs a program and is built from its manifest",
            hint=f"use {cls.__name__}.create(executable, spec, config)",
        )


class ExecutableReader(_ProgramPlugin, Reader[ExecutableConfig]):
    """A reader implemented by a program that writes Arrow IPC streams to stdout."""

    config_model = ExecutableConfig

    def __init__(self, config: ExecutableConfig, *, program: _Program) -> None:
        super().__init__(config)
        self._program = program
        self._schema: pa.Schema | None = None
        self._reads: list[Generator[pa.RecordBatch, None, None]] = []

    def check(self) -> None:
        with self._program.run("check") as child:
            child.check_exit(child.wait(), failure=SourceUnreachable)

    def schema(self) -> pa.Schema:
        if self._schema is None:
            with self._program.run("schema", stdout="stream") as child:
                self._schema = _stream_schema(child)
        return self._schema

    def read(self, incremental: Incremental | None = None) -> Iterator[pa.RecordBatch]:
        batches = self._stream(incremental)
        self._reads.append(batches)
        return batches

    def _stream(self, incremental: Incremental | None) -> Generator[pa.RecordBatch, None, None]:
        state = None
        if incremental is not None:
            state = {"cursor_field": incremental.cursor_field, "after": incremental.after}
        with self._program.run("read", state=state, stdout="stream") as child:
            try:
                stream = pa.ipc.open_stream(child.stdout)
                self._check_schema(child, stream.schema)
                yield from stream
            except (OSError, pa.ArrowException) as exc:
                raise child.broken_pipe(exc, _BAD_STREAM) from exc
            child.check_exit(child.wait())

    def _check_schema(self, child: _Child, schema: pa.Schema) -> None:
        """The stream's schema is the schema; if ``schema`` ran before, they must agree."""
        if self._schema is None:
            self._schema = schema
        elif not schema.equals(self._schema):
            raise PluginError(
                f"plugin {child.connector} streamed a schema that differs from the one "
                f"`schema` reported ({schema} vs {self._schema})"
            )

    def close(self) -> None:
        """Stop any read still running (a consumer that stopped early)."""
        for batches in self._reads:
            batches.close()
        self._reads.clear()


def _stream_schema(child: _Child) -> pa.Schema:
    try:
        stream = pa.ipc.open_stream(child.stdout)
        for _ in stream:  # "zero batches", but drain whatever comes to see the exit status
            pass
    except (OSError, pa.ArrowException) as exc:
        raise child.broken_pipe(exc, _BAD_STREAM) from exc
    child.check_exit(child.wait())
    schema: pa.Schema = stream.schema
    return schema


class ExecutableWriter(_ProgramPlugin, Writer[ExecutableConfig]):
    """A writer implemented by a program that reads an Arrow IPC stream on stdin."""

    config_model = ExecutableConfig

    def __init__(self, config: ExecutableConfig, *, program: _Program) -> None:
        super().__init__(config)
        self._program = program
        self._session = contextlib.ExitStack()
        self._child: _Child | None = None
        self._sink: pa.ipc.RecordBatchStreamWriter | None = None

    def open(self, schema: pa.Schema, context: WriteContext) -> None:
        options = ("--commit-id", context.commit_id, "--job", context.job_name)
        run = self._program.run("write", *options, stdin=True, stdout="lines")
        self._child = child = self._session.enter_context(run)
        try:
            self._sink = pa.ipc.new_stream(child.stdin, schema)
            child.stdin.flush()
        except (OSError, pa.ArrowException) as exc:
            raise child.broken_pipe(exc, "stopped reading its input") from exc

    def write(self, batch: pa.RecordBatch) -> None:
        child, sink = self._running()
        try:
            sink.write_batch(batch)
            child.stdin.flush()  # each batch leaves now: the program streams too
        except (OSError, pa.ArrowException) as exc:
            raise child.broken_pipe(exc, "stopped reading its input") from exc

    def commit(self) -> CommitResult:
        child, sink = self._running()
        try:
            try:
                sink.close()  # the end-of-stream marker
                child.stdin.write(COMMIT_TRAILER)
                child.stdin.close()
            except (OSError, pa.ArrowException) as exc:
                raise child.broken_pipe(exc, "stopped reading its input") from exc
            child.check_exit(child.wait())
            report = self._program.report(child, _CommitReport)
        finally:
            self._end()
        return CommitResult(report.rows, report.bytes, report.files, report.checksums)

    def abort(self) -> None:
        """Close stdin without the trailer; give the program time to clean up, then stop it."""
        if self._child is not None:
            with contextlib.suppress(OSError, ValueError):
                self._child.stdin.close()
            self._child.stop(patience=GRACE_SECONDS)
        self._end()

    def recover(self, commit_id: str) -> bool:
        child = self._program.run_to_end("recover", "--commit-id", commit_id)
        return self._program.report(child, _RecoverReport).committed

    def close(self) -> None:
        self.abort()

    def _running(self) -> tuple[_Child, pa.ipc.RecordBatchStreamWriter]:
        if self._child is None or self._sink is None:
            raise PluginError(f"{type(self).__name__} used before open() or after commit/abort")
        return self._child, self._sink

    def _end(self) -> None:
        self._child = self._sink = None
        self._session.close()
