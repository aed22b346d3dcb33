"""The blob store: staging, size limits, content-addressed publishing, stale temporaries."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dativo_registry.config import MIB
from dativo_registry.errors import NotFound, UploadRefused
from dativo_registry.storage import BlobStore


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def temps(store: BlobStore) -> list[Path]:
    return sorted(store.tmp.iterdir())


def test_stage_then_publish_makes_the_blob_visible_under_its_digest(store: BlobStore) -> None:
    chunks = [b"first chunk ", b"", b"second chunk"]
    data = b"".join(chunks)

    staged = store.stage(chunks, max_bytes=MIB)

    assert (staged.sha256, staged.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert staged.path.parent == store.tmp and staged.path.read_bytes() == data
    with pytest.raises(NotFound):
        store.path(staged.sha256)

    staged.publish()

    path = store.path(staged.sha256)
    assert path == store.root / staged.sha256[:2] / staged.sha256[2:4] / staged.sha256
    assert path.read_bytes() == data
    assert temps(store) == []


@pytest.mark.parametrize(
    ("sizes", "refused"),
    [
        ([MIB], False),  # exactly at the limit
        ([MIB // 2, MIB // 2, 1], True),  # one byte over, in the last chunk
        ([2 * MIB], True),
    ],
)
def test_size_limit(store: BlobStore, sizes: list[int], refused: bool) -> None:
    chunks = [b"x" * n for n in sizes]
    if refused:
        with pytest.raises(UploadRefused, match=r"file is larger than the limit of 1 MB"):
            store.stage(chunks, max_bytes=MIB)
        assert temps(store) == []
    else:
        assert store.stage(chunks, max_bytes=MIB).size == sum(sizes)


def test_a_failing_upload_stream_leaves_no_temporary_file(store: BlobStore) -> None:
    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.stage(broken(), max_bytes=MIB)
    assert temps(store) == []


def test_discard_removes_the_temporary_file(store: BlobStore) -> None:
    staged = store.stage([b"refused later"], max_bytes=MIB)

    staged.discard()

    assert temps(store) == []
    with pytest.raises(NotFound):
        store.path(staged.sha256)


def test_leaving_the_with_block_unpublished_discards(store: BlobStore) -> None:
    with pytest.raises(RuntimeError), store.stage([b"data"], max_bytes=MIB):
        raise RuntimeError("refused by a later check")
    assert temps(store) == []

    with store.stage([b"data"], max_bytes=MIB) as staged:
        staged.publish()
    assert store.path(staged.sha256).read_bytes() == b"data"


def test_publishing_the_same_content_twice_keeps_one_blob(store: BlobStore) -> None:
    first = store.stage([b"same bytes"], max_bytes=MIB)
    second = store.stage([b"same", b" bytes"], max_bytes=MIB)
    first.publish()
    inode = store.path(first.sha256).stat().st_ino

    second.publish()
    second.publish()  # a second call on a published blob is a no-op
    second.discard()  # and so is discarding it

    assert second.sha256 == first.sha256
    assert store.path(first.sha256).stat().st_ino == inode  # not replaced
    assert store.path(first.sha256).read_bytes() == b"same bytes"
    assert temps(store) == []


def test_put_bytes_stores_content_addressed(store: BlobStore) -> None:
    data = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"

    sha256 = store.put_bytes(data)

    assert sha256 == hashlib.sha256(data).hexdigest()
    assert store.path(sha256).read_bytes() == data
    assert store.put_bytes(data) == sha256  # again: same blob
    assert store.put_bytes(b"") == hashlib.sha256(b"").hexdigest()
    assert temps(store) == []


@pytest.mark.parametrize(
    "digest",
    [
        "",
        "../../etc/passwd",
        "ab" * 31,  # too short
        "AB" * 32,  # upper case is not how digests are stored
        "zz" * 32,
    ],
)
def test_path_refuses_what_is_not_a_digest(store: BlobStore, digest: str) -> None:
    with pytest.raises(NotFound):
        store.path(digest)


def test_remove_stale_temps_keeps_uploads_in_progress(store: BlobStore) -> None:
    stale = store.stage([b"left by a killed server"], max_bytes=MIB)
    fresh = store.stage([b"still uploading"], max_bytes=MIB)
    day_ago = time.time() - 24 * 3600
    os.utime(stale.path, (day_ago, day_ago))

    assert store.remove_stale_temps(older_than_seconds=3600) == 1

    assert temps(store) == [fresh.path]
    assert store.remove_stale_temps(older_than_seconds=3600) == 0
