"""`install --locked` reproduces dativo.lock exactly, and refuses any difference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Index, Key, Target, install_into, make_wheel, new_key

from dativo_pkg.install import BadRequirement, LockMismatch, NoMatchingDistribution


@pytest.fixture(scope="module")
def published(index: Index, tmp_path_factory: pytest.TempPathFactory) -> Key:
    """mike-plugin 1.0 and 2.0 (signed, depending on mike-lib, unsigned), published once."""
    dist = tmp_path_factory.mktemp("dist")
    key = new_key(dist, "mike")
    index.add_key_publisher("mike-plugin", key)
    index.upload(make_wheel(dist, "mike-lib", "1.0"))
    wheels = [
        make_wheel(dist, "mike-plugin", version, plugin="mike", requires=("mike-lib>=1",))
        for version in ("1.0", "2.0")
    ]
    index.upload(*wheels, *(key.sign(w) for w in wheels))
    return key


def site_files(target: Target) -> dict[str, bytes]:
    return {
        str(path.relative_to(target.site)): path.read_bytes()
        for path in target.site.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_locked_reproduces_the_lock_on_a_fresh_prefix(
    index: Index, published: Key, target: Target, tmp_path: Path
) -> None:
    install_into(target, index, "mike-plugin")
    assert target.installed() == {"mike-plugin": "2.0", "mike-lib": "1.0"}
    assert target.lock()["mike-lib"]["plugin"] is False
    assert "signer-identity" not in target.lock()["mike-lib"]  # a dependency: digest only

    elsewhere = Target(tmp_path / "elsewhere", tmp_path / "copy" / "dativo.lock")
    elsewhere.lockfile.parent.mkdir()
    shutil.copy(target.lockfile, elsewhere.lockfile)
    result = install_into(elsewhere, index, locked=True, index_url=None)

    assert sorted(p.package.name for p in result.packages) == ["mike-lib", "mike-plugin"]
    assert elsewhere.lockfile.read_bytes() == target.lockfile.read_bytes()
    assert site_files(elsewhere) == site_files(target)


def test_locked_refuses_a_signer_other_than_the_locked_one(
    index: Index, published: Key, target: Target
) -> None:
    install_into(target, index, "mike-plugin")
    text = target.lockfile.read_text()
    recorded = target.lock()["mike-plugin"]["signer-identity"]
    target.lockfile.write_text(text.replace(recorded, "sha256:" + "0" * 64))

    with pytest.raises(LockMismatch, match=r"dativo\.lock records publisher key sha256:0000"):
        install_into(target, index, locked=True)


def test_locked_refuses_an_older_or_unlocked_requirement(
    index: Index, published: Key, target: Target
) -> None:
    install_into(target, index, "mike-plugin")
    with pytest.raises(LockMismatch, match=r"excludes mike-plugin 2\.0"):
        install_into(target, index, "mike-plugin==1.0", locked=True)
    with pytest.raises(LockMismatch, match="not in"):
        install_into(target, index, "other-plugin", locked=True)


def test_a_plain_install_never_goes_below_the_locked_version(
    index: Index, published: Key, target: Target
) -> None:
    install_into(target, index, "mike-plugin")
    with pytest.raises(NoMatchingDistribution, match=r"older than 2\.0"):
        install_into(target, index, "mike-plugin<2")

    result = install_into(target, index, "mike-plugin==1.0")  # pinned: on purpose
    assert {p.package.name: p.action for p in result.packages}["mike-plugin"] == "replaced"
    assert target.installed()["mike-plugin"] == "1.0"
    assert target.lock()["mike-plugin"]["version"] == "1.0"


def test_locked_refuses_a_yanked_then_replaced_release(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "november")
    index.publish(make_wheel(tmp_path / "d", "november-plugin", "1.0", plugin="nov"), key)
    install_into(target, index, "november-plugin")
    index.yank("november-plugin", "1.0", "broken build")
    index.upload(
        wheel := make_wheel(tmp_path / "d", "november-plugin", "1.0.post1", plugin="nov"),
        key.sign(wheel),
    )
    lock_before = target.lockfile.read_bytes()

    with pytest.raises(LockMismatch, match=r"was yanked .*broken build"):
        install_into(target, index, locked=True)
    assert target.lockfile.read_bytes() == lock_before


def test_locked_refuses_a_file_no_longer_served(
    index: Index, target: Target, tmp_path: Path
) -> None:
    key = new_key(tmp_path, "oscar")
    wheel = index.publish(make_wheel(tmp_path / "d", "oscar-plugin", "1.0", plugin="oscar"), key)
    install_into(target, index, "oscar-plugin")
    index.delete_file("oscar-plugin", wheel.name)

    fresh = Target(tmp_path / "fresh", target.lockfile)
    with pytest.raises(LockMismatch, match="no longer served"):
        install_into(fresh, index, locked=True)
    assert fresh.installed() == {}


def test_locked_without_a_lockfile_is_refused(index: Index, target: Target) -> None:
    with pytest.raises(LockMismatch, match="records nothing"):
        install_into(target, index, locked=True)


def test_nothing_requested_is_a_usage_error(index: Index, target: Target) -> None:
    with pytest.raises(Exception, match="name at least one") as refused:
        install_into(target, index)
    assert refused.value.exit_code == 2  # type: ignore[attr-defined]
    with pytest.raises(BadRequirement):
        install_into(target, index, "not a requirement!")


def test_locked_refuses_a_file_whose_digest_changed(
    index: Index, published: Key, target: Target
) -> None:
    install_into(target, index, "mike-plugin")
    locked = target.lock()["mike-plugin"]["sha256"]
    target.lockfile.write_text(target.lockfile.read_text().replace(locked, "f" * 64))

    fresh = Target(target.prefix.with_name("fresh"), target.lockfile)
    with pytest.raises(LockMismatch, match=f"index now names sha256 {locked}"):
        install_into(fresh, index, locked=True)
    assert fresh.installed() == {}
