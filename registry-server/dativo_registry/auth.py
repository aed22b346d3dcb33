"""API tokens: create, revoke, authenticate a request, authorize an upload.

A token looks like ``dtv_<prefix>_<secret>``: ``prefix`` is 12 hex digits
that name the token in listings and in ``token revoke`` (it is not secret),
``secret`` is 32 random bytes, URL-safe base64. Only the SHA-256 of the whole
token is stored, so a copy of the database lets no one upload.

Checking a token is a lookup of its SHA-256 in a unique index, not a string
comparison with a stored secret, so no constant-time comparison is needed:
the timing of the lookup depends only on the digest, and learning about a
digest tells nothing about which token produces it. A fast hash is right
here (unlike for passwords): the secret is 256 random bits, not guessable.

These functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import secrets

from packaging.utils import InvalidName, canonicalize_name
from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_registry.errors import Forbidden, NotFound, RegistryError, Unauthorized
from dativo_registry.models import Project, Role, Token, User

__all__ = [
    "UPLOAD_ROLES",
    "authenticate",
    "authorize_upload",
    "create_token",
    "revoke_token",
]

#: Roles on a project that may upload new files to it.
UPLOAD_ROLES = ("owner", "maintainer")

_TOKEN = re.compile(r"dtv_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
_PREFIX = re.compile(r"[0-9a-f]{12}")
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")

_HOW_TO = (
    "authenticate with HTTP Basic, username __token__ and an API token as the password "
    "(twine: `twine upload -u __token__ -p dtv_...`); an administrator creates tokens "
    "with `dativo-registry token create --user NAME`"
)


def create_token(session: Session, user_name: str, projects: list[str] | None) -> str:
    """Create a token for ``user_name`` (the user too, if new) and return it; it is not stored.

    ``projects`` scopes the token to those projects (any spelling; stored
    normalized); None or an empty list means any project the user may upload to.
    """
    if not _USER_NAME.fullmatch(user_name):
        raise RegistryError(
            f"invalid user name {user_name!r}: use up to 100 letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    scope = sorted({_normalize_project(p) for p in projects}) if projects else None
    user = session.scalars(select(User).where(User.name == user_name)).one_or_none()
    if user is None:
        user = User(name=user_name)
        session.add(user)
        session.flush()
    prefix = secrets.token_hex(6)
    token = f"dtv_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(Token(user_id=user.id, prefix=prefix, digest=_digest(token), projects=scope))
    session.flush()
    return token


def revoke_token(session: Session, token_or_prefix: str) -> None:
    """Revoke a token given whole or by its prefix (with or without ``dtv_``).

    Revoking a revoked token changes nothing. A whole token must match the
    stored digest, so a mistyped one is reported rather than revoking its
    prefix's token.
    """
    text = token_or_prefix.strip()
    whole = _TOKEN.fullmatch(text)
    prefix = whole["prefix"] if whole else text.removeprefix("dtv_")
    if not _PREFIX.fullmatch(prefix):
        raise NotFound(
            f"{token_or_prefix!r} is neither a token nor a token prefix "
            "(the 12 hex digits after dtv_)"
        )
    token = session.scalars(select(Token).where(Token.prefix == prefix)).one_or_none()
    if token is None or (whole is not None and token.digest != _digest(text)):
        raise NotFound(f"no token with prefix {prefix}")
    if token.revoked_at is None:
        token.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()


def authenticate(session: Session, authorization_header: str | None) -> Token:
    """The live token an ``Authorization`` header carries; Unauthorized otherwise.

    twine sends HTTP Basic with username ``__token__``; ``Bearer <token>`` is
    accepted too, for scripts that call the API with curl or httpx.
    """
    if not authorization_header:
        raise Unauthorized(f"authentication required: {_HOW_TO}")
    scheme, _, credentials = authorization_header.strip().partition(" ")
    if scheme.lower() == "bearer":
        token_text = credentials.strip()
    elif scheme.lower() == "basic":
        token_text = _basic_password(credentials.strip())
    else:
        raise Unauthorized(f"unsupported authorization scheme {scheme!r}: {_HOW_TO}")
    if not _TOKEN.fullmatch(token_text):
        raise Unauthorized(f"the password is not a registry API token: {_HOW_TO}")
    token = session.scalars(select(Token).where(Token.digest == _digest(token_text))).one_or_none()
    if token is None:
        raise Unauthorized(f"unknown API token: {_HOW_TO}")
    if token.revoked_at is not None:
        raise Unauthorized(
            f"API token dtv_{token.prefix} was revoked; ask an administrator for a new one"
        )
    return token


def authorize_upload(session: Session, token: Token, normalized_project: str) -> None:
    """Forbidden unless ``token`` may upload to the project (normalized name).

    A token scoped to other projects may not; nor may a user without an owner
    or maintainer role on an existing project. Anyone may create a new project
    (publish makes the first uploader its owner).
    """
    if token.projects is not None and normalized_project not in token.projects:
        raise Forbidden(
            f"this token may upload only to {', '.join(token.projects)}, not to "
            f"{normalized_project}; use a token scoped to {normalized_project}"
        )
    project = session.scalars(
        select(Project).where(Project.normalized == normalized_project)
    ).one_or_none()
    if project is None:
        return
    role = session.scalars(
        select(Role.role).where(Role.project_id == project.id, Role.user_id == token.user_id)
    ).one_or_none()
    if role not in UPLOAD_ROLES:
        raise Forbidden(
            f"user {token.user.name} is not an owner or maintainer of project {project.name}; "
            "ask one of its owners to add you"
        )


def set_role(session: Session, project_name: str, user_name: str, role: str | None) -> None:
    """Give ``user_name`` a role (``owner`` or ``maintainer``) on a project, or take it (None).

    Both must exist. The last owner cannot be removed or demoted: a project
    without an owner could never get new maintainers.
    """
    if role is not None and role not in UPLOAD_ROLES:
        raise RegistryError(f"unknown role {role!r}: use one of {', '.join(UPLOAD_ROLES)}")
    normalized = _normalize_project(project_name)
    project = session.scalars(select(Project).where(Project.normalized == normalized)).one_or_none()
    if project is None:
        raise NotFound(f"no project {normalized}: it is created by its first upload")
    user = session.scalars(select(User).where(User.name == user_name)).one_or_none()
    if user is None:
        raise NotFound(f"no user {user_name}: `dativo-registry token create --user` creates one")
    current = session.get(Role, (project.id, user.id))
    if current is not None and current.role == "owner" and role != "owner":
        owners = session.scalars(
            select(Role).where(Role.project_id == project.id, Role.role == "owner")
        ).all()
        if len(owners) == 1:
            raise RegistryError(
                f"{user_name} is the last owner of {project.name}; add another owner first"
            )
    if role is None:
        if current is not None:
            session.delete(current)
    elif current is None:
        session.add(Role(project_id=project.id, user_id=user.id, role=role))
    else:
        current.role = role
    session.flush()


def _basic_password(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized(f"malformed HTTP Basic credentials: {_HOW_TO}") from exc
    username, colon, password = decoded.partition(":")
    if not colon:
        raise Unauthorized(f"malformed HTTP Basic credentials: {_HOW_TO}")
    if username != "__token__":
        raise Unauthorized(f"username {username!r} is not accepted: {_HOW_TO}")
    return password


def _normalize_project(name: str) -> str:
    try:
        return canonicalize_name(name, validate=True)
    except InvalidName as exc:
        raise RegistryError(
            f"invalid project name {name!r}: use letters, digits, and . _ - inside"
        ) from exc


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
