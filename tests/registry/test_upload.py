"""Uploads with the real ``twine upload`` (or its exact form through httpx), on both databases.

What twine uploads is served back byte for byte; every refusal sends the
real bad file and checks the status, the reason in the body, and that
nothing became visible. Most tests share one server per database (started
with 1 MB limits, so zip bombs and oversized files stay small), each with
its own project names.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Registry
from dists import (
    SIGNED_SDIST,
    SIGNED_WHEEL,
    BuiltDists,
    built_dists,
    sdist_bytes,
    wheel_bytes,
    wheel_name,
)
from shared_support import fresh_database
from sqlalchemy import select, text
from uploads import (
    database,
    download,
    form,
    new_token,
    output,
    post_upload,
    served_files,
    twine_upload,
)

from dativo_registry.config import MIB
from dativo_registry.models import File

LIMIT_MB = 1


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltDists:
    return built_dists(tmp_path_factory.getbasetemp() / "built")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """One registry per database for this module, with 1 MB file and expansion limits."""
    with fresh_database(request, request.param) as database_url:
        reg = Registry(tmp_path_factory.mktemp("server") / "data", database_url)
        reg.start(
            "--max-file-mb",
            str(LIMIT_MB),
            "--max-expanded-mb",
            str(LIMIT_MB),
            # the signed fixtures come from both public Sigstore instances
            "--sigstore-instance",
            "production",
            "--sigstore-instance",
            "staging",
        )
        yield reg
        reg.stop()


@pytest.fixture(scope="module")
def alice(server: Registry) -> str:
    """A token of alice, who may upload anything."""
    return new_token(server, "alice")


# --- what twine uploads is what pip gets ----------------------------------------------------


def test_twine_uploads_built_wheels_and_an_sdist_served_byte_identical(
    server: Registry, alice: str, built: BuiltDists, tmp_path: Path
) -> None:
    sdist = tmp_path / "tinypkg-1.0.tar.gz"
    sdist.write_bytes(sdist_bytes("tinypkg", "1.0"))
    result = twine_upload(server, alice, built.plugin, built.plain, sdist)
    assert result.returncode == 0, output(result)
    assert "200 OK" in output(result)

    for project, path in (("dativo-hello", built.plugin), ("tinypkg", built.plain)):
        listed = served_files(server, project)[path.name]
        assert listed["hashes"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert download(server, project, path.name) == path.read_bytes()
    assert download(server, "tinypkg", sdist.name) == sdist.read_bytes()


def test_twine_uploads_the_signed_fixtures_with_their_attestations(
    server: Registry, tmp_path: Path
) -> None:
    for path in (SIGNED_WHEEL, SIGNED_SDIST):
        shutil.copy(path, tmp_path)
        shutil.copy(f"{path}.publish.attestation", tmp_path)
    dists = [tmp_path / SIGNED_WHEEL.name, tmp_path / SIGNED_SDIST.name]
    attestations = [Path(f"{path}.publish.attestation") for path in dists]

    token = new_token(server, "ci")
    result = twine_upload(server, token, *dists, *attestations, options=("--attestations",))
    assert result.returncode == 0, output(result)

    with database(server) as engine, engine.connect() as conn:
        rows = conn.execute(select(File.filename, File.attestations))
        stored = {row.filename: row.attestations for row in rows}
    for path, project in zip(dists, ("rfc8785", "pypi-attestations"), strict=True):
        assert download(server, project, path.name) == path.read_bytes()
        assert stored[path.name] == [json.loads(Path(f"{path}.publish.attestation").read_text())]


# --- refusals -------------------------------------------------------------------------------

MakeFile = Callable[[BuiltDists], tuple[str, bytes]]


def wheel(version: str, files: dict[str, bytes] | None = None, **kwargs: str) -> MakeFile:
    return lambda _built: (
        wheel_name("tinypkg", version),
        wheel_bytes("tinypkg", version, files, **kwargs),
    )


def renamed(make: MakeFile, filename: str) -> MakeFile:
    return lambda built: (filename, make(built)[1])


def changed(make: MakeFile, change: Callable[[bytes], bytes]) -> MakeFile:
    return lambda built: (make(built)[0], change(make(built)[1]))


def with_member(version: str, name: str) -> MakeFile:
    """A wheel with one more member, named ``name`` (zipfile writes it as given)."""

    def make(_built: BuiltDists) -> tuple[str, bytes]:
        data = io.BytesIO(wheel_bytes("tinypkg", version))
        with zipfile.ZipFile(data, "a") as zf:
            zf.writestr(name, b"import os\n")
        return wheel_name("tinypkg", version), data.getvalue()

    return make


def sdist(version: str, metadata_version: str | None = None) -> MakeFile:
    return lambda _built: (
        f"tinypkg-{version}.tar.gz",
        sdist_bytes("tinypkg", version, metadata_version=metadata_version),
    )


def plugin_without_manifest(built: BuiltDists) -> tuple[str, bytes]:
    return built.plugin_without_manifest.name, built.plugin_without_manifest.read_bytes()


def invalid_manifest(_built: BuiltDists) -> tuple[str, bytes]:
    manifest = {"manifest_version": 1, "plugins": [{"kind": "reader", "connector": "Hello"}]}
    files = {"dativo_bad/dativo-plugin.json": json.dumps(manifest).encode()}
    entry_points = "[dativo.readers]\nHello = dativo_bad:Reader\n"
    data = wheel_bytes("dativo-bad", "1.0", files, entry_points=entry_points)
    return wheel_name("dativo-bad", "1.0"), data


TWINE, HTTP = "twine", "http"

#: id -> (client, the bad file, status, what the body must say)
REFUSALS: dict[str, tuple[str, MakeFile, int, str]] = {
    "filename that does not parse": (
        TWINE,
        renamed(wheel("1.1"), "tinypkg.whl"),
        400,
        "'tinypkg.whl' is not a valid distribution filename",
    ),
    "sdist in an unsupported format": (
        HTTP,
        renamed(sdist("1.1"), "tinypkg-1.1.tar.bz2"),
        400,
        "extension must be '.tar.gz' or '.zip'",
    ),
    "name in filename differs from METADATA": (
        TWINE,
        renamed(wheel("1.1"), "other-1.1-py3-none-any.whl"),
        400,
        "is named 'other' but its tinypkg-1.1.dist-info/METADATA says Name: tinypkg",
    ),
    "version in filename differs from METADATA": (
        TWINE,
        wheel("1.1", metadata_version="1.2"),
        400,
        "has version 1.1 but its tinypkg-1.1.dist-info/METADATA says Version: 1.2",
    ),
    "version in sdist filename differs from PKG-INFO": (
        TWINE,
        sdist("1.1", metadata_version="1.2"),
        400,
        "says Version: 1.2",
    ),
    "truncated wheel": (
        HTTP,
        changed(wheel("1.1"), lambda data: data[: len(data) // 2]),
        400,
        "is not a valid zip archive",
    ),
    "truncated sdist": (
        HTTP,
        changed(sdist("1.1"), lambda data: data[:-20]),
        400,
        "is not a valid gzip-compressed tar archive",
    ),
    "member with ..": (
        TWINE,
        with_member("1.1", "../escape.py"),
        400,
        "climbs out of the archive ('../escape.py'",
    ),
    "member with an absolute path": (
        TWINE,
        with_member("1.1", "/etc/escape.py"),
        400,
        "absolute path ('/etc/escape.py')",
    ),
    "zip bomb": (
        TWINE,
        wheel("1.1", {"tinypkg/zeros.bin": bytes(4 * MIB)}),
        400,
        "expands to more than 1 MB when unpacked",
    ),
    "file over the size limit": (
        TWINE,
        lambda _built: (
            wheel_name("tinypkg", "1.1"),
            wheel_bytes("tinypkg", "1.1", {"tinypkg/noise.bin": os.urandom(MIB + MIB // 2)}),
        ),
        400,
        "larger than the limit of 1 MB",
    ),
    "plugin entry points without manifest (built by pip)": (
        TWINE,
        plugin_without_manifest,
        400,
        "declares dativo.readers/dativo.writers entry points (writer 'sink') but carries no "
        "dativo_nomanifest/dativo-plugin.json",
    ),
    "plugin with an invalid manifest": (
        TWINE,
        invalid_manifest,
        400,
        "invalid plugin manifest dativo_bad/dativo-plugin.json: plugins.0.connector",
    ),
}


# A file's content is refused before the database is involved: SQLite covers these.
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("client", "make", "status", "reason"), REFUSALS.values(), ids=REFUSALS)
def test_refused_uploads(
    server: Registry,
    alice: str,
    built: BuiltDists,
    tmp_path: Path,
    client: str,
    make: MakeFile,
    status: int,
    reason: str,
) -> None:
    filename, data = make(built)
    if client == TWINE:
        (tmp_path / filename).write_bytes(data)
        result = twine_upload(server, alice, tmp_path / filename)
        assert result.returncode != 0
        said = output(result)
        assert f"{status} " in said and reason in said, said
    else:
        response = post_upload(server, alice, data, filename, version="1.1")
        assert (response.status_code, reason in response.text) == (status, True), response.text
    assert filename not in served_files(server, "tinypkg")
    assert_nothing_stored(server, data)


def assert_nothing_stored(server: Registry, data: bytes) -> None:
    """A refused upload leaves no temporary file and no blob behind."""
    blobs = server.data_dir / "blobs"
    assert list((blobs / "tmp").iterdir()) == []
    sha256 = hashlib.sha256(data).hexdigest()
    assert not (blobs / sha256[:2] / sha256[2:4] / sha256).exists()


def test_a_form_that_does_not_describe_its_file(server: Registry, alice: str) -> None:
    data = wheel_bytes("tinypkg", "1.2")
    response = post_upload(server, alice, data, wheel_name("tinypkg", "1.2"), name="tiny-other")
    assert response.status_code == 400
    assert "it gives name 'tiny-other' but the file is 'tinypkg'" in response.text


@pytest.mark.parametrize("field", ["sha256_digest", "blake2_256_digest", "md5_digest"])
def test_every_digest_given_is_verified(server: Registry, alice: str, field: str) -> None:
    data = wheel_bytes("tinypkg", "1.3")
    filename = wheel_name("tinypkg", "1.3")
    wrong = hashlib.new(field.split("_")[0].replace("blake2", "sha256"), b"other").hexdigest()
    response = post_upload(server, alice, data, filename, "tinypkg", "1.3", **{field: wrong})
    assert response.status_code == 400
    assert f"{field} does not match the uploaded file {filename}" in response.text
    assert filename not in served_files(server, "tinypkg")
    assert_nothing_stored(server, data)


def test_filenames_are_never_reused(server: Registry, alice: str, tmp_path: Path) -> None:
    path = tmp_path / wheel_name("reused", "1.0")
    path.write_bytes(wheel_bytes("reused", "1.0"))
    assert twine_upload(server, alice, path).returncode == 0

    again = twine_upload(server, alice, path)
    assert again.returncode != 0
    assert "409 " in output(again) and f"file {path.name} already exists" in output(again)

    # Removed files keep their name: other bytes under that filename stay refused.
    with database(server) as engine, engine.begin() as conn:
        conn.execute(
            text("UPDATE files SET deleted_at = CURRENT_TIMESTAMP WHERE filename = :f"),
            {"f": path.name},
        )
    path.write_bytes(wheel_bytes("reused", "1.0", {"reused/new.py": b"changed = True\n"}))
    response = post_upload(server, alice, path.read_bytes(), path.name, "reused", "1.0")
    assert response.status_code == 409
    assert "filenames are never reused" in response.text


def test_legacy_without_a_slash(server: Registry, alice: str) -> None:
    data = wheel_bytes("slashless", "1.0")
    filename = wheel_name("slashless", "1.0")
    response = post_upload(server, alice, data, filename, "slashless", "1.0", path="/legacy")
    assert (response.status_code, response.text) == (200, "OK")
    assert download(server, "slashless", filename) == data


# --- who may upload -------------------------------------------------------------------------


def test_authentication_and_permissions(server: Registry, tmp_path: Path) -> None:
    owner = new_token(server, "olga")
    path = tmp_path / wheel_name("guarded", "1.0")
    path.write_bytes(wheel_bytes("guarded", "1.0"))
    data = path.read_bytes()

    response = post_upload(server, None, data, path.name, "guarded")
    assert response.status_code == 401 and "authentication required" in response.text
    bogus = "dtv_0123456789ab_" + "A" * 43
    refused = twine_upload(server, bogus, path)
    assert refused.returncode != 0
    assert "401 " in output(refused) and "unknown API token" in output(refused)

    scoped = new_token(server, "olga", "something-else")
    refused = twine_upload(server, scoped, path)
    assert "403 " in output(refused) and "may upload only to something-else" in output(refused)

    assert twine_upload(server, owner, path).returncode == 0  # olga becomes the owner

    later = tmp_path / wheel_name("guarded", "1.1")
    later.write_bytes(wheel_bytes("guarded", "1.1"))
    refused = twine_upload(server, new_token(server, "mallory"), later)
    assert "403 " in output(refused)
    assert "user mallory is not an owner or maintainer of project guarded" in output(refused)
    assert list(served_files(server, "guarded")) == [path.name]

    assert twine_upload(server, new_token(server, "olga", "Guarded"), later).returncode == 0
    assert sorted(served_files(server, "guarded")) == [path.name, later.name]


# --- forms twine would never send -----------------------------------------------------------

MALFORMED: dict[str, tuple[dict[str, str], str]] = {
    "another action": ({":action": "submit"}, "unsupported :action 'submit'"),
    "another protocol": ({"protocol_version": "2"}, "unsupported protocol_version '2'"),
    "no name": ({"name": ""}, "no 'name' field"),
    "invalid name": ({"name": "not a name!"}, "not a valid project name"),
    "no digest": ({"sha256_digest": "", "blake2_256_digest": ""}, "carries no digest"),
    "attestations not JSON": ({"attestations": "[{"}, "attestations field is not JSON"),
    "attestations not a list": ({"attestations": "{}"}, "must be a JSON list"),
    "another filetype": ({"filetype": "bdist_egg"}, "filetype 'bdist_egg' but the file is"),
    "digest not hex": ({"md5_digest": "\u00e9"}, "md5_digest is not a hexadecimal digest"),
}


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("fields", "reason"), MALFORMED.values(), ids=MALFORMED)
def test_malformed_forms(server: Registry, alice: str, fields: dict[str, str], reason: str) -> None:
    data = wheel_bytes("tinypkg", "1.5")
    response = post_upload(server, alice, data, wheel_name("tinypkg", "1.5"), **fields)
    assert response.status_code == 400 and reason in response.text, response.text


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_requests_that_are_not_upload_forms(server: Registry, alice: str) -> None:
    auth = ("__token__", alice)
    raw = httpx.post(f"{server.url}/legacy/", content=b"PK\x03\x04", auth=auth)
    assert raw.status_code == 400 and "multipart/form-data" in raw.text
    fields = form(b"", "tinypkg-1.5-py3-none-any.whl", "tinypkg", "1.5")
    no_file = httpx.post(f"{server.url}/legacy/", data=fields, files={"x": ("", b"")}, auth=auth)
    assert no_file.status_code == 400 and "no file in its 'content' field" in no_file.text
