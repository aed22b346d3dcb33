"""The simple API under load: dativo-registry against pypiserver, http.server and nginx.

    python bench/registry_simple.py [--projects 1000] [--files 10] [--seconds 10]

A corpus of ``--projects`` x ``--files`` small wheels is uploaded to a fresh
``dativo-registry serve`` (SQLite) through ``/legacy/``; the same wheels go in a
directory for pypiserver; every page the registry serves is saved as static
files for ``python -m http.server`` and nginx. ``wrk`` (Debian's package), a
separate process, then asks each server for ``/simple/`` and one project page
at concurrency 1 and 16 and reports requests/s and p50/p99 latency. Last,
``twine upload`` of 100 new wheels into the full registry and into an empty
one. Needs ``wrk`` and ``nginx`` (``apt-get install wrk nginx``) and
``pip install pypiserver``; missing peers are skipped with a note.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

BIN = Path(sys.executable).parent
JSON = "application/vnd.pypi.simple.v1+json"
console = Console(stderr=True)


def wheel_bytes(name: str, version: str) -> bytes:
    """A minimal valid wheel: one module, METADATA, WHEEL, RECORD."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: bench {name}\n"
        ).encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return buffer.getvalue()


def wheel_name(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {url}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {url}")


@contextmanager
def serve(argv: list[str], probe: str, cwd: Path | None = None) -> Iterator[None]:
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_until_up(probe, proc)
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def upload(client: httpx.Client, url: str, token: str, name: str, version: str) -> None:
    data = wheel_bytes(name, version)
    form = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel",
        "pyversion": "py3",
        "metadata_version": "2.1",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
    }
    files = {"content": (wheel_name(name, version), data, "application/octet-stream")}
    response = client.post(url, data=form, files=files, auth=("__token__", token))
    response.raise_for_status()


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float


def wrk(url: str, connections: int, seconds: int, accept: str | None = None) -> Load:
    argv = ["wrk", "--latency", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s"]
    if accept:
        argv += ["-H", f"Accept: {accept}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]

    def pct(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return Load(rps, pct("50"), pct("99"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="dativo-bench-"))
    names = [f"bench-project-{i:04d}" for i in range(args.projects)]
    versions = [f"1.0.{j}" for j in range(args.files)]
    project = names[len(names) // 2]
    rows: list[tuple[str, str, int, Load]] = []

    def measure(server: str, base: str, paths: dict[str, tuple[str, str | None]]) -> None:
        for label, (path, accept) in paths.items():
            for connections in (1, 16):
                load = wrk(base + path, connections, args.seconds, accept)
                rows.append((server, label, connections, load))
                console.log(f"{server} {label} c={connections}: {load.rps:,.0f} req/s")

    registry_paths = {
        "/simple/ html": ("/simple/", None),
        "/simple/ json": ("/simple/", JSON),
        "project html": (f"/simple/{project}/", None),
        "project json": (f"/simple/{project}/", JSON),
    }

    # dativo-registry, filled through its upload API
    with running_registry(work / "registry") as (base, token):
        started = time.perf_counter()
        with httpx.Client(timeout=60) as client, ThreadPoolExecutor(4) as pool:
            corpus = [(n, v) for n in names for v in versions]
            list(pool.map(lambda nv: upload(client, f"{base}/legacy/", token, *nv), corpus))
        console.log(f"uploaded {len(corpus):,} wheels in {time.perf_counter() - started:.0f} s")
        measure("dativo-registry", base, registry_paths)
        static = work / "static"
        with httpx.Client(base_url=base) as client:
            for path in ["/simple/", *(f"/simple/{n}/" for n in names)]:
                target = static / path.strip("/") / "index.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(client.get(path).content)
        full_upload = twine_upload(base, token, work / "extra-full")
    with running_registry(work / "empty") as (base, token):
        empty_upload = twine_upload(base, token, work / "extra-empty")

    static_paths = {
        "/simple/ html": ("/simple/", None),
        "project html": (f"/simple/{project}/", None),
    }
    port = free_port()
    with serve(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        f"http://127.0.0.1:{port}/simple/",
        cwd=static,
    ):
        measure("http.server (static)", f"http://127.0.0.1:{port}", static_paths)

    if shutil.which("nginx"):
        port = free_port()
        conf = work / "nginx.conf"
        conf.write_text(
            f"daemon off; worker_processes 2; pid {work}/nginx.pid; error_log {work}/nginx.err;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{ access_log off; server {{ listen 127.0.0.1:{port};"
            f" root {static}; }} }}\n"
        )
        with serve(["nginx", "-c", str(conf), "-p", str(work)], f"http://127.0.0.1:{port}/simple/"):
            measure("nginx (static)", f"http://127.0.0.1:{port}", static_paths)
    else:
        console.log("nginx not found: skipped (apt-get install nginx)")

    if shutil.which("pypi-server", path=str(BIN)) or (BIN / "pypi-server").exists():
        packages = work / "packages"
        packages.mkdir()
        for n in names:
            for v in versions:
                (packages / wheel_name(n, v)).write_bytes(wheel_bytes(n, v))
        port = free_port()
        with serve(
            [str(BIN / "pypi-server"), "run", "-p", str(port), "-i", "127.0.0.1", str(packages)],
            f"http://127.0.0.1:{port}/simple/",
        ):
            measure("pypiserver", f"http://127.0.0.1:{port}", static_paths)
    else:
        console.log("pypiserver not found: skipped (pip install pypiserver)")

    report(rows, full_upload, empty_upload)
    shutil.rmtree(work)


@contextmanager
def running_registry(data_dir: Path, extra: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """A fresh `dativo-registry serve` (no access log) and an upload token for it."""
    registry = str(BIN / "dativo-registry")
    created = subprocess.run(
        [registry, "token", "create", "--data-dir", str(data_dir), "--user", "bench"],
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [registry, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    with serve([*argv, "--no-access-log", *extra], f"{base}/simple/"):
        yield base, token


def twine_upload(base: str, token: str, folder: Path) -> float:
    folder.mkdir()
    for i in range(100):
        (folder / wheel_name(f"extra-{i:03d}", "1.0")).write_bytes(
            wheel_bytes(f"extra-{i:03d}", "1.0")
        )
    started = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "twine"),
            "upload",
            "--repository-url",
            f"{base}/legacy/",
            "-u",
            "__token__",
            "-p",
            token,
            "--non-interactive",
            "--disable-progress-bar",
            *sorted(map(str, folder.iterdir())),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def report(rows: list[tuple[str, str, int, Load]], full_upload: float, empty_upload: float) -> None:
    table = Table(title="simple API under wrk (requests/s, latency ms)")
    for column in (
        "server",
        "path",
        "conc.",
        "req/s",
        "p50",
        "p99",
        "vs pypiserver",
        "vs http.server",
    ):
        table.add_column(column, justify="left" if column in ("server", "path") else "right")
    by_key = {(s, p.replace(" json", " html"), c): load for s, p, c, load in rows}
    for server, path, connections, load in rows:
        key = path.replace(" json", " html")
        peers = [
            by_key.get((peer, key, connections)) for peer in ("pypiserver", "http.server (static)")
        ]
        ratios = [f"{load.rps / peer.rps:,.1f}x" if peer else "-" for peer in peers]
        table.add_row(
            server,
            path,
            str(connections),
            f"{load.rps:,.0f}",
            f"{load.p50_ms:.2f}",
            f"{load.p99_ms:.2f}",
            *ratios,
        )
    Console(width=140).print(table)
    print(
        f"twine upload of 100 wheels: into the full registry {full_upload:.1f} s, "
        f"into an empty one "
        f"{empty_upload:.1f} s (ratio {full_upload / empty_upload:.2f})"
    )


if __name__ == "__main__":
    main()
