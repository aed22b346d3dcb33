"""Project management over HTTP: yank and unyank a release (PEP 592).

``POST /api/v1/projects/{project}/{version}/yank`` yanks, with an optional
JSON body ``{"reason": "..."}``; ``DELETE`` of the same path unyanks. Both
are authenticated like uploads (HTTP Basic with ``__token__`` as twine
sends, or ``Authorization: Bearer <token>``) and allowed to whoever may
upload to the project: its owners and maintainers. Both answer with the
release's yank state, and repeating either changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from packaging.utils import canonicalize_name
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dativo_registry import auth
from dativo_registry.deps import get_session
from dativo_registry.models import Release
from dativo_registry.yanking import MAX_REASON_CHARS, REASON_PATTERN, set_yanked

__all__ = ["YankRequest", "YankState", "router"]

router = APIRouter(prefix="/api/v1/projects", tags=["manage"])

SessionDep = Annotated[Session, Depends(get_session)]

_AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid API token"},
    403: {"description": "The token may not upload to this project"},
    404: {"description": "No such project or release"},
}


class YankRequest(BaseModel):
    reason: str = Field(
        default="",
        max_length=MAX_REASON_CHARS,
        pattern=REASON_PATTERN,
        description="Why, on one line; pip and uv show it to whoever installs the release pinned",
        examples=["corrupts data on write; use 2.0.1"],
    )


class YankState(BaseModel):
    name: str = Field(description="The project name as first uploaded")
    normalized: str
    version: str
    yanked: bool
    yanked_reason: str | None


@router.post(
    "/{project}/{version}/yank",
    summary="Yank a release (PEP 592)",
    responses=_AUTH_RESPONSES,
)
def yank(
    project: str,
    version: str,
    request: Request,
    session: SessionDep,
    body: Annotated[YankRequest | None, Body()] = None,
) -> YankState:
    """Installers skip a yanked release unless it is pinned with ``==``; its files stay.

    Yanking a yanked release replaces its reason.
    """
    return _change(session, request, project, version, (body or YankRequest()).reason)


@router.delete(
    "/{project}/{version}/yank",
    summary="Unyank a release",
    responses=_AUTH_RESPONSES,
)
def unyank(project: str, version: str, request: Request, session: SessionDep) -> YankState:
    """Make the release a candidate for installers again."""
    return _change(session, request, project, version, None)


def _change(
    session: Session, request: Request, project: str, version: str, reason: str | None
) -> YankState:
    token = auth.authenticate(session, request.headers.get("authorization"))
    auth.authorize_upload(session, token, canonicalize_name(project))
    release = set_yanked(session, project, version, reason)
    session.commit()
    return _state(release)


def _state(release: Release) -> YankState:
    return YankState(
        name=release.project.name,
        normalized=release.project.normalized,
        version=release.version,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason,
    )
