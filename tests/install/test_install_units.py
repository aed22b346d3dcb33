"""The pieces of install that need no index: lockfile, policy, selection, the environment."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from conftest import Target, make_wheel, new_key
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from dativo_pkg.install import (
    Environment,
    IndexFile,
    InstallFailed,
    LocalWheel,
    LockedPackage,
    Lockfile,
    LockfileError,
    PolicyError,
    load_policy,
)
from dativo_pkg.install._select import select_files
from dativo_pkg.install._wheel import read_wheel
from dativo_pkg.trust import KEY_ISSUER, SignerIdentity


def test_the_lockfile_round_trips_and_is_written_atomically(tmp_path: Path) -> None:
    lock = Lockfile(tmp_path / "dativo.lock")
    signer = SignerIdentity(KEY_ISSUER, "sha256:" + "ab" * 32)
    lock.put(
        LockedPackage(
            canonicalize_name("B"), "1.0", "b-1.0-py3-none-any.whl", "0" * 64, "u", True, signer
        )
    )
    lock.put(
        LockedPackage(canonicalize_name("a"), "2.0", "a-2.0-py3-none-any.whl", "1" * 64, "u", False)
    )
    lock.save()

    again = Lockfile.load(lock.path)
    assert [p.name for p in again] == ["a", "b"]
    assert again.get("B") == lock.get("b")
    assert again.get("a") is not None and again.get("a").signer is None  # type: ignore[union-attr]
    assert os.listdir(tmp_path) == ["dativo.lock"]  # no temporary file left


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = 2\n", "not a version 1"),
        ("version = 1\n[[package]]\nname = 'x'\n", "package entry 1 is invalid"),
        ("version = [", "cannot read"),
        (
            "version = 1\n[[package]]\nname='x'\nversion='1'\nfilename='f'\nsha256='0'\n"
            "index='u'\nsigner-identity='me'\n",
            "signer-identity and signer-issuer go together",
        ),
    ],
)
def test_a_bad_lockfile_is_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "dativo.lock"
    path.write_text(text)
    with pytest.raises(LockfileError, match=problem):
        Lockfile.load(path)


def test_a_policy_names_identities_and_keys(tmp_path: Path) -> None:
    key = new_key(tmp_path / "keys", "k")
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "plugins:\n"
        "  My_Plugin:\n"
        "    - {issuer: https://issuer.example, identity: https://github.com/o/r/.github/workflows/r.yml}\n"
        "    - {key: keys/k.pub.pem}\n"
    )
    loaded = load_policy(policy)
    allowed = loaded.publishers_for("my-plugin")
    assert allowed is not None and [p.kind for p in allowed] == ["oidc", "key"]
    assert allowed[0].matches(
        SignerIdentity(
            "https://issuer.example", "https://github.com/o/r/.github/workflows/r.yml@refs/tags/v1"
        )
    )
    assert loaded.publishers_for("other") is None
    assert key.public.exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("plugins: [", "not valid YAML"),
        ("plugins:\n  x:\n    - {issuer: a}\n", "invalid trust policy"),
        ("plugins:\n  x:\n    - {key: missing.pem}\n", "cannot be read"),
        ("other: 1\n", "invalid trust policy"),
    ],
)
def test_a_bad_policy_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    with pytest.raises(PolicyError, match=problem):
        load_policy(policy)


def _file(filename: str, *, yanked: bool = False, requires_python: str | None = None) -> IndexFile:
    return IndexFile(
        filename, f"http://x/{filename}", None, requires_python, yanked, None, None, None
    )


def test_selection_skips_yanked_unfit_and_older_than_locked_versions() -> None:
    files = [
        _file("p-4.0-py3-none-any.whl", yanked=True),
        _file("p-3.0-py3-none-any.whl", requires_python="<3"),
        _file("p-2.5-cp27-cp27mu-manylinux1_x86_64.whl"),
        _file("p-2.0.tar.gz"),
        _file("p-2.0-py3-none-any.whl"),
        _file("p-1.0-py3-none-any.whl"),
    ]
    rejections: list[str] = []
    name = canonicalize_name("p")
    chosen = select_files(name, files, SpecifierSet(), locked=Version("2.0"), rejections=rejections)
    assert [str(c.version) for c in chosen] == ["2.0"]
    text = "\n".join(rejections)
    assert "4.0: yanked" in text and "3.0: requires Python <3" in text
    assert "does not fit this platform" in text and "1.0: older than 2.0" in text
    assert "p-2.0.tar.gz: not a wheel" in text

    pinned = select_files(name, files, SpecifierSet("==4.0"), locked=Version("2.0"), rejections=[])
    assert [str(c.version) for c in pinned] == ["4.0"]  # PEP 592: a pin may choose a yanked one
    downgrade = select_files(
        name, files, SpecifierSet("==1.0"), locked=Version("2.0"), rejections=[]
    )
    assert [str(c.version) for c in downgrade] == ["1.0"]


def _local(path: Path) -> LocalWheel:
    return read_wheel(path, hashlib.sha256(path.read_bytes()).hexdigest())


def test_install_replaces_and_uninstall_removes_every_recorded_file(tmp_path: Path) -> None:
    target = Target(tmp_path / "prefix", tmp_path / "lock")
    environment = Environment(target.prefix)
    environment.install([_local(make_wheel(tmp_path / "d", "uni-form", "1.0", script="uni-cmd"))])
    script = Path(environment.paths["scripts"]) / "uni-cmd"
    assert script.is_file() and os.access(script, os.X_OK)
    dist = environment.installed("uni-form")
    assert dist is not None and dist.read_text("INSTALLER") == "dativo-pkg"

    environment.install([_local(make_wheel(tmp_path / "d", "uni-form", "2.0", script="uni-cmd"))])
    assert target.installed() == {"uni-form": "2.0"}

    dist = environment.installed("uni-form")
    assert dist is not None
    removed = environment.uninstall(dist)
    assert script in removed and not script.exists()
    assert not (target.site / "uni_form").exists()
    assert list(target.site.iterdir()) == []


def test_a_failed_install_restores_the_environment(tmp_path: Path) -> None:
    target = Target(tmp_path / "prefix", tmp_path / "lock")
    environment = Environment(target.prefix)
    environment.install([_local(make_wheel(tmp_path / "d", "vic-tor", "1.0"))])
    before = {p: p.read_bytes() for p in target.site.rglob("*") if p.is_file()}
    squatter = target.site / "wish_key" / "__init__.py"  # a file no distribution owns
    squatter.parent.mkdir()
    squatter.write_text("mine\n")

    new_victor = _local(make_wheel(tmp_path / "d", "vic-tor", "2.0"))
    conflicting = _local(make_wheel(tmp_path / "d", "wish-key", "1.0"))
    with pytest.raises(InstallFailed, match="File already exists"):
        environment.install([new_victor, conflicting])

    after = {p: p.read_bytes() for p in target.site.rglob("*") if p.is_file() and p != squatter}
    assert after == before
    assert target.installed() == {"vic-tor": "1.0"}
    assert squatter.read_text() == "mine\n"
