"""``POST /legacy/``: the upload API that ``twine upload`` speaks.

The order of the steps keeps an unwanted upload cheap:

1. authenticate (from the Authorization header alone, before any of the body
   is read);
2. read the multipart form, refusing a body larger than the file limit plus
   a small allowance for the other fields; starlette spools the ``content``
   part to a temporary file;
3. check the project permission and that the filename was never used;
4. stage the file in the blob store in chunks (size limit, SHA-256), verify
   every digest the client sent, inspect the archive (:mod:`.distfile`);
5. verify its attestations against the project's publishers
   (:mod:`.provenance`), refusing before anything is published;
6. publish (:mod:`.publish`): blob, database row and provenance in one step.

Refusals raise RegistryError subclasses; the app turns them into the status
code and a plain-text body (``twine upload --verbose`` prints it). Success is
``200 OK``, as on PyPI.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from typing import IO, Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from dativo_pkg.trust import Subject, TrustRoots
from dativo_registry.auth import authenticate, authorize_upload
from dativo_registry.config import Settings
from dativo_registry.distfile import inspect_distribution
from dativo_registry.errors import UploadRefused
from dativo_registry.models import Token
from dativo_registry.provenance import verify_upload
from dativo_registry.publish import UploadForm, file_exists, filename_conflict, publish_file
from dativo_registry.storage import BlobStore

__all__ = ["router"]

router = APIRouter(tags=["upload"])

MIB = 1 << 20
_CHUNK = 1 << 20
#: Room for the form fields besides the file (twine sends the long description).
FIELDS_ALLOWANCE = 16 * MIB
#: Largest single form field.
MAX_FIELD_BYTES = 8 * MIB

_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [":action", "protocol_version", "name", "version", "content"],
                    "properties": {
                        ":action": {"type": "string", "enum": ["file_upload"]},
                        "protocol_version": {"type": "string", "enum": ["1"]},
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "filetype": {"type": "string", "enum": ["bdist_wheel", "sdist"]},
                        "pyversion": {"type": "string"},
                        "metadata_version": {"type": "string"},
                        "sha256_digest": {"type": "string"},
                        "md5_digest": {"type": "string"},
                        "blake2_256_digest": {"type": "string"},
                        "attestations": {
                            "type": "string",
                            "description": "JSON list of PEP 740 attestations",
                        },
                        "content": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
}
_DESCRIPTION = (
    "Upload one distribution file, as `twine upload --repository-url URL/legacy/` does: "
    "HTTP Basic auth with the user `__token__` and an API token as password."
)


@router.post(
    "/legacy/",
    summary="Upload a distribution (twine)",
    description=_DESCRIPTION,
    response_class=PlainTextResponse,
    openapi_extra=_FORM_SCHEMA,
    responses={400: {"description": "refused: the body says why"}, 401: {}, 403: {}, 409: {}},
)
@router.post("/legacy", include_in_schema=False, response_class=PlainTextResponse)
async def upload(request: Request) -> PlainTextResponse:
    settings: Settings = request.app.state.settings
    store: BlobStore = request.app.state.store
    roots: TrustRoots = request.app.state.trust_roots
    maker: sessionmaker[Session] = request.app.state.sessionmaker
    session = maker()
    try:
        authorization = request.headers.get("Authorization")
        token = await run_in_threadpool(_authenticate, session, authorization)
        formdata = await _read_form(request, settings.max_file_bytes)
        try:
            form, content = _upload_form(formdata)
            await run_in_threadpool(_receive, session, store, settings, roots, token, form, content)
        finally:
            await formdata.close()
    finally:
        await run_in_threadpool(session.close)
    return PlainTextResponse("OK")


def _authenticate(session: Session, authorization: str | None) -> Token:
    token = authenticate(session, authorization)
    session.commit()  # hold no connection while the body arrives
    return token


# --- the form -----------------------------------------------------------------------------


async def _read_form(request: Request, max_file_bytes: int) -> FormData:
    """Parse the multipart body, refusing it once it outgrows the limit."""
    limit = max_file_bytes + FIELDS_ALLOWANCE
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(max_file_bytes)
    if not request.headers.get("Content-Type", "").startswith("multipart/form-data"):
        raise UploadRefused(
            "an upload is a multipart/form-data request, as twine sends it: use "
            "`twine upload --repository-url <registry>/legacy/ dist/*`"
        )
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit, max_file_bytes),
        max_files=1,
        max_fields=200,
        max_part_size=MAX_FIELD_BYTES,
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise UploadRefused(f"the upload form does not parse: {exc.message}") from exc
    except ClientDisconnect as exc:  # nobody reads this answer; it keeps the log quiet
        raise UploadRefused("the client went away before the upload was complete") from exc


async def _limited(
    stream: AsyncIterator[bytes], limit: int, max_file_bytes: int
) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise _too_large(max_file_bytes)
        yield chunk


def _too_large(max_file_bytes: int) -> UploadRefused:
    return UploadRefused(
        f"the file is larger than the limit of {max_file_bytes / MIB:g} MB: "
        "ask the registry operator to raise --max-file-mb if it must be this large"
    )


def _upload_form(formdata: FormData) -> tuple[UploadForm, UploadFile]:
    """The validated fields, and the uploaded file."""
    action = _field(formdata, ":action")
    if action != "file_upload":
        raise UploadRefused(
            f"unsupported :action {action!r}: this registry only accepts "
            "':action=file_upload' (twine upload)"
        )
    protocol = _field(formdata, "protocol_version")
    if protocol != "1":
        raise UploadRefused(f"unsupported protocol_version {protocol!r}: only 1 is supported")
    content = formdata.get("content")
    if not isinstance(content, UploadFile) or not content.filename:
        raise UploadRefused("the form has no file in its 'content' field: nothing to upload")
    form = UploadForm(
        filename=content.filename,
        name=_field(formdata, "name"),
        version=_field(formdata, "version"),
        filetype=_optional(formdata, "filetype") or "",
        pyversion=_optional(formdata, "pyversion"),
        metadata_version=_optional(formdata, "metadata_version"),
        sha256_digest=_optional(formdata, "sha256_digest"),
        md5_digest=_optional(formdata, "md5_digest"),
        blake2_256_digest=_optional(formdata, "blake2_256_digest"),
        attestations=_attestations(_optional(formdata, "attestations")),
    )
    if not (form.sha256_digest or form.md5_digest or form.blake2_256_digest):
        raise UploadRefused(
            "the form carries no digest of the file: send sha256_digest (twine does)"
        )
    return form, content


def _optional(formdata: FormData, name: str) -> str | None:
    value = formdata.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UploadRefused(f"the form field {name!r} must be text, not a file")
    return value.strip() or None


def _field(formdata: FormData, name: str) -> str:
    value = _optional(formdata, name)
    if value is None:
        raise UploadRefused(f"the upload form has no {name!r} field (twine sends it)")
    return value


def _attestations(raw: str | None) -> list[Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UploadRefused(f"the attestations field is not JSON ({exc})") from exc
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UploadRefused("the attestations field must be a JSON list of attestation objects")
    return value


# --- receiving the file -------------------------------------------------------------------


def _receive(
    session: Session,
    store: BlobStore,
    settings: Settings,
    roots: TrustRoots,
    token: Token,
    form: UploadForm,
    content: UploadFile,
) -> None:
    """Steps 3 to 6 (blocking I/O: runs in a worker thread)."""
    project = _project_name(form.name)
    authorize_upload(session, token, project)
    if file_exists(session, form.filename):
        raise filename_conflict(form.filename)
    session.commit()  # hold no connection while the file is checked

    extra = _extra_hashers(form)
    # Leaving the block discards the staged file unless it was published.
    with store.stage(_chunks(content.file, extra.values()), settings.max_file_bytes) as staged:
        actual = {"sha256_digest": staged.sha256}
        actual.update({field: hasher.hexdigest() for field, hasher in extra.items()})
        _verify_digests(form, actual)
        info = inspect_distribution(staged.path, form.filename, settings)
        _check_form_matches(form, info.normalized_name, info.version, info.packagetype)
        subject = Subject(form.filename, staged.sha256)
        provenance = verify_upload(session, roots, settings, project, subject, form.attestations)
        publish_file(session, store, token, form, staged, info, provenance)


def _project_name(name: str) -> str:
    try:
        return canonicalize_name(name, validate=True)
    except InvalidName as exc:
        raise UploadRefused(f"the form's name is not a valid project name: {exc}") from exc


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def _extra_hashers(form: UploadForm) -> dict[str, _Hasher]:
    """Hashers for the digests the client sent besides SHA-256 (the blob store computes it)."""
    hashers: dict[str, _Hasher] = {}
    if form.md5_digest:
        hashers["md5_digest"] = hashlib.md5(usedforsecurity=False)
    if form.blake2_256_digest:
        hashers["blake2_256_digest"] = hashlib.blake2b(digest_size=32)
    return hashers


def _chunks(file: IO[bytes], hashers: Iterable[_Hasher]) -> Iterator[bytes]:
    file.seek(0)
    while chunk := file.read(_CHUNK):
        for hasher in hashers:
            hasher.update(chunk)
        yield chunk


_HEX_DIGEST = re.compile(r"[0-9a-f]+")


def _verify_digests(form: UploadForm, actual: dict[str, str]) -> None:
    """Digests are public values: a plain comparison is right (no timing secret to keep)."""
    for field, value in actual.items():
        expected = (getattr(form, field) or "").lower()
        if not expected:
            continue
        if not _HEX_DIGEST.fullmatch(expected):
            raise UploadRefused(f"{field} is not a hexadecimal digest; send the file's digest")
        if expected != value:
            raise UploadRefused(
                f"{field} does not match the uploaded file {form.filename} (the form says "
                f"{expected}, the file has {value}): it was changed or truncated on the way; "
                "upload it again"
            )


def _check_form_matches(form: UploadForm, name: str, version: str, packagetype: str) -> None:
    """The form must describe the file it carries (permissions were checked on its name)."""
    try:
        same_version = Version(form.version) == Version(version)
    except InvalidVersion:
        same_version = False
    problems = [
        f"{label} {said!r} but the file is {found!r}"
        for label, said, found, same in (
            ("name", form.name, name, canonicalize_name(form.name) == name),
            ("version", form.version, version, same_version),
            ("filetype", form.filetype, packagetype, form.filetype in ("", packagetype)),
        )
        if not same
    ]
    if problems:
        raise UploadRefused(
            f"the upload form does not describe {form.filename}: it gives "
            + "; ".join(problems)
            + ": let twine fill in the form from the file"
        )
