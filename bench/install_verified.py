"""`dativo-pkg install` (verified) against `pip install --no-deps`, same wheel, same index.

    python bench/install_verified.py [--repeat 5]

A fresh `dativo-registry serve` (trusting Sigstore production and staging)
holds two signed distributions:

- ``dativo-hello``: a plugin wheel signed with a publisher key, the key
  registered as the project's publisher (the air-gapped path);
- ``rfc8785``: the real keyless (Sigstore staging) fixture wheel with its
  PEP 740 attestation.

Each round installs each into an empty prefix, once with ``pip install
--no-deps`` and once with ``dativo-pkg install`` (resolve, download, sha256,
offline provenance verification, install, lockfile), each in a fresh process.
Prints medians and the ratio dativo-pkg / pip (the goal is at most 1.3).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import Contender, measure
from registry_simple import BIN, running_registry
from rich.console import Console
from rich.table import Table

from dativo_pkg.trust import (
    KEY_SUFFIX,
    PUBLISH_PREDICATE,
    generate_private_key,
    public_key_pem,
    sign_with_key,
    statement_subject,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "sigstore"
STAGING_WHEEL = FIXTURES / "rfc8785-0.1.2-py3-none-any.whl"

sys.path.insert(0, str(ROOT / "tests" / "registry"))
from dists import built_dists  # noqa: E402  (the registry tests' plugin wheel, built by pip)

console = Console(stderr=True)


def _admin(data_dir: Path, *args: str) -> None:
    registry = str(BIN / "dativo-registry")
    subprocess.run([registry, *args, "--data-dir", str(data_dir)], check=True, capture_output=True)


def _publish(work: Path, data_dir: Path, base: str, token: str) -> None:
    plugin = built_dists(work / "build").plugin
    key = generate_private_key()
    (work / "publisher.pub").write_text(public_key_pem(key))
    _admin(
        data_dir,
        "publisher",
        "add",
        "--project",
        "dativo-hello",
        "--key",
        str(work / "publisher.pub"),
    )
    signature = plugin.with_name(plugin.name + KEY_SUFFIX)
    bundle = sign_with_key(key, statement_subject(plugin), predicate_type=PUBLISH_PREDICATE)
    signature.write_text(json.dumps(bundle))
    fixture = work / STAGING_WHEEL.name
    fixture.write_bytes(STAGING_WHEEL.read_bytes())
    attestation = STAGING_WHEEL.name + ".publish.attestation"
    (work / attestation).write_bytes((FIXTURES / attestation).read_bytes())
    for dist, sig in ((plugin, signature), (fixture, work / attestation)):
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
                "--attestations",
                str(dist),
                str(sig),
            ],
            check=True,
            capture_output=True,
        )


def _fresh(prefix: Path, argv: list[str]) -> list[str]:
    """Remove the prefix, then run ``argv`` (the rm costs the same for both contenders)."""
    return ["sh", "-c", f"rm -rf {shlex.quote(str(prefix))} && exec {shlex.join(argv)}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dativo-bench-install-") as tmp:
        work = Path(tmp)
        data_dir = work / "registry"
        with running_registry(
            data_dir, extra=["--sigstore-instance", "production", "--sigstore-instance", "staging"]
        ) as (base, token):
            _publish(work, data_dir, base, token)
            index = f"{base}/simple/"
            rows = []
            for project, trust in (
                ("dativo-hello", []),
                ("rfc8785", ["--sigstore-instance", "staging"]),
            ):
                pip_prefix, dativo_prefix = work / f"pip-{project}", work / f"dativo-{project}"
                contenders = [
                    Contender(
                        "pip install --no-deps",
                        _fresh(
                            pip_prefix,
                            [
                                str(BIN / "pip"),
                                "install",
                                "--quiet",
                                "--no-deps",
                                "--disable-pip-version-check",
                                "--index-url",
                                index,
                                "--prefix",
                                str(pip_prefix),
                                project,
                            ],
                        ),
                    ),
                    Contender(
                        "dativo-pkg install",
                        _fresh(
                            dativo_prefix,
                            [
                                str(BIN / "dativo-pkg"),
                                "install",
                                project,
                                "--index-url",
                                index,
                                "--prefix",
                                str(dativo_prefix),
                                "--lockfile",
                                str(dativo_prefix / "dativo.lock"),
                                *trust,
                            ],
                        ),
                    ),
                ]
                pip, dativo = measure(contenders, args.repeat, console)
                rows.append((project, pip.seconds, dativo.seconds))
    table = Table(title=f"install one signed distribution (median of {args.repeat})")
    for column in ("distribution", "pip --no-deps s", "dativo-pkg install s", "ratio"):
        table.add_column(column, justify="left" if column == "distribution" else "right")
    for project, pip_s, dativo_s in rows:
        table.add_row(project, f"{pip_s:.2f}", f"{dativo_s:.2f}", f"{dativo_s / pip_s:.2f}x")
    Console().print(table)


if __name__ == "__main__":
    main()
