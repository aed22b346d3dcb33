"""Downloads: ``/files/<sha256>/<filename>`` and its PEP 658 metadata file.

A file is served only while a non-deleted row names both its digest and its
filename, so a blob that exists without a committed row (an interrupted
upload) stays invisible. Files are immutable and their URL holds their
digest, so they are cacheable forever.

Content types: wheels and ``.zip`` sdists are zip archives
(``application/zip``), ``.tar.gz`` sdists ``application/gzip`` (never with a
``Content-Encoding``, which would make clients unpack them). The PEP 658
``<filename>.metadata`` file is the distribution's core metadata, an
RFC 822-style UTF-8 text, served as ``text/plain; charset=utf-8`` so a
browser shows it; installers hash its bytes and ignore the type.

A GET that serves a distribution file counts a download
(:func:`.catalog.record_download`); HEAD, 304 and metadata files do not.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import Engine, select

from dativo_registry.catalog import record_download
from dativo_registry.errors import NotFound
from dativo_registry.models import File
from dativo_registry.negotiation import etag_matches
from dativo_registry.storage import BlobStore

__all__ = ["content_type", "router"]

router = APIRouter(tags=["files"])

CACHE_CONTROL = "public, max-age=31536000, immutable"
METADATA_SUFFIX = ".metadata"
METADATA_TYPE = "text/plain; charset=utf-8"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_TYPES = (
    (".whl", "application/zip"),
    (".zip", "application/zip"),
    (".tar.gz", "application/gzip"),
    (".tgz", "application/gzip"),
    (".tar.bz2", "application/x-bzip2"),
)


def content_type(filename: str) -> str:
    """The media type a distribution file is served with."""
    for suffix, media_type in _CONTENT_TYPES:
        if filename.endswith(suffix):
            return media_type
    return "application/octet-stream"


@router.api_route(
    "/files/{sha256}/{filename}",
    methods=["GET", "HEAD"],
    response_class=FileResponse,
    summary="A distribution file, or its core metadata (PEP 658) with a .metadata suffix",
)
def download(sha256: str, filename: str, request: Request) -> Response:
    if not _SHA256.match(sha256) or "\x00" in filename:
        raise NotFound(f"no file {filename!r} with digest {sha256!r}")
    engine: Engine = request.app.state.engine
    store: BlobStore = request.app.state.store
    served = _lookup(engine, sha256, filename)
    if served is None:
        raise NotFound(f"no file {filename!r} with digest {sha256}")
    blob, media_type, file_id = served
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": f'"{blob}"'}
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    if file_id is not None and request.method == "GET":
        record_download(engine, file_id)
    return FileResponse(store.path(blob), media_type=media_type, headers=headers, filename=filename)


def _lookup(engine: Engine, sha256: str, filename: str) -> tuple[str, str, int | None] | None:
    """``(blob digest, media type, file id)`` of what the URL names (no id for a metadata
    file), or None."""
    live = File.deleted_at.is_(None) & (File.sha256 == sha256)
    with engine.connect() as conn:
        file_id = conn.execute(select(File.id).where(live, File.filename == filename)).scalar()
        if file_id is not None:
            return sha256, content_type(filename), file_id
        if filename.endswith(METADATA_SUFFIX):
            dist = filename.removesuffix(METADATA_SUFFIX)
            metadata = conn.execute(
                select(File.metadata_sha256).where(live, File.filename == dist)
            ).scalar()
            if metadata:
                return metadata, METADATA_TYPE, None
    return None
