#!/usr/bin/env python3
"""A plugin program for the tests: it speaks the executable-plugin protocol.

It is what a Go or C++ author writes, in Python: a reader (``schema``,
``read``, ``check``) of rows ``{id, name}`` numbered 1..``rows``, and a writer
(``write``, ``recover``) of JSON-lines files named after the commit id. The
``fail`` setting makes it misbehave in the ways the runtime must survive; the
``probe`` setting makes it record how it was started.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import signal
import stat
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])
COMMIT_TRAILER = b"COMMIT\n"
#: Failure modes ``die`` carries out (the others are about what goes on stdout).
FATAL = frozenset({"exit", "signal", "hang"})


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--config", required=True)
    parser.add_argument("--state")
    parser.add_argument("--commit-id")
    parser.add_argument("--job")
    return parser.parse_args()


def probe(config: dict[str, Any], args: argparse.Namespace) -> None:
    """Record argv as the kernel sees it, and what the config file is."""
    info = os.stat(args.config)
    report = {
        "pid": os.getpid(),
        "cmdline": Path("/proc/self/cmdline").read_bytes().decode().rstrip("\0").split("\0"),
        "config_path": args.config,
        "config_mode": stat.S_IMODE(info.st_mode),
        "config_links": info.st_nlink,  # 0: no name on disk
        "state": json.loads(Path(args.state).read_text()) if args.state else None,
        "job": args.job,
    }
    probe_path = Path(config["probe"])
    probe_path.with_suffix(".tmp").write_text(json.dumps(report))
    os.replace(probe_path.with_suffix(".tmp"), probe_path)  # whole or absent


def die(config: dict[str, Any]) -> None:
    """Fail the way ``config["fail"]`` says."""
    mode = config["fail"]
    if mode == "exit":
        print("ERROR: lost the connection to upstream", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "signal":
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the test directory
        os.kill(os.getpid(), signal.SIGSEGV)
    if mode == "hang":
        while True:
            signal.pause()


def schema_command(config: dict[str, Any], args: argparse.Namespace) -> None:
    pa.ipc.new_stream(sys.stdout.buffer, SCHEMA).close()


def read_command(config: dict[str, Any], args: argparse.Namespace) -> None:
    out = sys.stdout.buffer
    if config.get("fail") == "garbage":
        out.write(b"this is not an Arrow IPC stream\n")
        return
    if config.get("stderr_flood"):  # far more than a pipe holds, before any stdout
        sys.stderr.write(("x" * 99 + "\n") * (config["stderr_flood"] // 100))
        sys.stderr.flush()
    after = json.loads(Path(args.state).read_text())["after"] if args.state else None
    ids = [i for i in range(1, config["rows"] + 1) if after is None or i > after]
    size = config.get("batch_size", 2)
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    if config.get("fail") == "truncate":
        whole = io.BytesIO()
        with pa.ipc.new_stream(whole, SCHEMA) as sink:
            sink.write_batch(make_batch(batches[0]))
        out.write(whole.getvalue()[:-20])  # cut inside the batch's body
        return
    sink = pa.ipc.new_stream(out, SCHEMA)
    for number, chunk in enumerate(batches):
        if number == config.get("fail_after"):
            out.flush()
            die(config)
        sink.write_batch(make_batch(chunk))
        out.flush()  # stream: each batch leaves as soon as it is made
    sink.close()


def make_batch(ids: list[int]) -> pa.RecordBatch:
    return pa.record_batch([pa.array(ids), pa.array([f"row {i}" for i in ids])], schema=SCHEMA)


def check_command(config: dict[str, Any], args: argparse.Namespace) -> None:
    if not config.get("reachable", True):
        print("ERROR: connection refused by upstream", file=sys.stderr)
        sys.exit(4)


def write_command(config: dict[str, Any], args: argparse.Namespace) -> None:
    out_dir = Path(config["out_dir"])
    final = out_dir / f"{args.commit_id}.jsonl"
    staged = out_dir / f".{args.commit_id}.jsonl.tmp"

    def discard(*_: object) -> None:
        staged.unlink(missing_ok=True)
        os._exit(143)

    signal.signal(signal.SIGTERM, discard)  # "stop now, commit nothing"
    stdin = sys.stdin.buffer
    rows = 0
    with open(staged, "w", encoding="utf-8") as fh:
        try:
            for number, batch in enumerate(pa.ipc.open_stream(stdin)):
                if number == config.get("fail_after"):
                    staged.unlink()
                    die(config)
                for record in batch.to_pylist():
                    fh.write(json.dumps(record) + "\n")
                    rows += 1
            trailer = stdin.read()
        except pa.ArrowInvalid:
            trailer = b""
    if trailer != COMMIT_TRAILER:
        staged.unlink()
        print("INFO: no commit trailer, discarding the staged rows", file=sys.stderr)
        sys.exit(1)
    os.replace(staged, final)
    digest = hashlib.sha256(final.read_bytes()).hexdigest()
    result = {"rows": rows, "bytes": final.stat().st_size, "files": [str(final)]}
    print(json.dumps({**result, "checksums": {str(final): digest}}))


def recover_command(config: dict[str, Any], args: argparse.Namespace) -> None:
    committed = (Path(config["out_dir"]) / f"{args.commit_id}.jsonl").exists()
    print(json.dumps({"committed": committed}))


COMMANDS = {
    "schema": schema_command,
    "read": read_command,
    "check": check_command,
    "write": write_command,
    "recover": recover_command,
}


def main() -> None:
    args = parse_args()
    with open(args.config, encoding="utf-8") as fh:
        config = json.load(fh)
    if "probe" in config:
        probe(config, args)
    for line in config.get("stderr", []):
        print(line, file=sys.stderr, flush=True)
    if config.get("fail") in FATAL and "fail_after" not in config:
        die(config)
    COMMANDS[args.command](config, args)


if __name__ == "__main__":
    main()
