"""API tokens: creation, authentication of request headers, scopes and project roles."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dativo_registry import auth, db
from dativo_registry.config import Settings
from dativo_registry.errors import Forbidden, NotFound, RegistryError, Unauthorized
from dativo_registry.models import Project, Role, Token, User


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = db.make_engine(Settings(data_dir=tmp_path))
    db.upgrade(engine)
    with db.make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def add_project(session: Session, name: str, owner: str) -> Project:
    user = session.scalars(select(User).where(User.name == owner)).one_or_none() or User(name=owner)
    project = Project(normalized=name, name=name, serial=0)
    session.add_all([user, project])
    session.flush()
    session.add(Role(project_id=project.id, user_id=user.id, role="owner"))
    session.flush()
    return project


def test_create_token_stores_only_a_digest(session: Session) -> None:
    first = auth.create_token(session, "alice", None)
    second = auth.create_token(session, "alice", [])

    for token in (first, second):
        assert re.fullmatch(r"dtv_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    assert first != second
    assert session.scalars(select(User.name)).all() == ["alice"]  # the user once
    rows = session.scalars(select(Token)).all()
    assert [row.projects for row in rows] == [None, None]
    stored = {value for row in rows for value in (row.prefix, row.digest)}
    assert not stored & {first, second, first.split("_", 2)[2]}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "authentication required"),
        ("", "authentication required"),
        ("Digest abc", "unsupported authorization scheme"),
        ("Basic !!!not-base64!!!", "malformed HTTP Basic credentials"),
        ("Basic " + base64.b64encode(b"no colon").decode(), "malformed HTTP Basic credentials"),
        (basic("alice", "secret"), "username 'alice' is not accepted"),
        (basic("__token__", "pypi-AgEIcHlwaS5vcmc"), "not a registry API token"),
        (basic("__token__", "dtv_0123456789ab_" + "A" * 43), "unknown API token"),
    ],
)
def test_authenticate_refuses(session: Session, header: str | None, message: str) -> None:
    auth.create_token(session, "alice", None)
    with pytest.raises(Unauthorized, match=message) as caught:
        auth.authenticate(session, header)
    assert "username __token__" in caught.value.message  # every refusal says how to do it


def test_authenticate_accepts_twine_basic_and_bearer(session: Session) -> None:
    token = auth.create_token(session, "alice", None)

    for header in (basic("__token__", token), f"Bearer {token}", f"  bearer   {token} "):
        found = auth.authenticate(session, header)
        assert found.user.name == "alice"
        assert found.prefix == token.split("_")[1]


def test_a_revoked_token_no_longer_authenticates(session: Session) -> None:
    token = auth.create_token(session, "alice", None)
    prefix = token.split("_")[1]
    auth.revoke_token(session, prefix)

    with pytest.raises(Unauthorized, match=f"API token dtv_{prefix} was revoked"):
        auth.authenticate(session, basic("__token__", token))


@pytest.mark.parametrize("form", ["whole", "prefix", "dtv_prefix"])
def test_revoke_by_token_or_prefix(session: Session, form: str) -> None:
    token = auth.create_token(session, "alice", None)
    other = auth.create_token(session, "alice", None)
    prefix = token.split("_")[1]
    given = {"whole": token, "prefix": prefix, "dtv_prefix": f"dtv_{prefix}"}[form]

    auth.revoke_token(session, given)
    auth.revoke_token(session, given)  # again: nothing changes

    with pytest.raises(Unauthorized, match="revoked"):
        auth.authenticate(session, f"Bearer {token}")
    assert auth.authenticate(session, f"Bearer {other}").revoked_at is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("0123456789ab", "no token with prefix 0123456789ab"),
        ("not a token", "neither a token nor a token prefix"),
    ],
)
def test_revoke_unknown(session: Session, given: str, message: str) -> None:
    auth.create_token(session, "alice", None)
    with pytest.raises(NotFound, match=message):
        auth.revoke_token(session, given)


def test_revoke_refuses_a_whole_token_whose_secret_is_wrong(session: Session) -> None:
    token = auth.create_token(session, "alice", None)
    mistyped = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(NotFound, match="no token with prefix"):
        auth.revoke_token(session, mistyped)
    assert auth.authenticate(session, f"Bearer {token}").revoked_at is None


def test_scoped_token_uploads_only_to_its_projects(session: Session) -> None:
    token = auth.authenticate(
        session, f"Bearer {auth.create_token(session, 'alice', ['My_Plugin', 'other.Plugin'])}"
    )
    assert token.projects == ["my-plugin", "other-plugin"]

    auth.authorize_upload(session, token, "my-plugin")  # a new project: allowed
    with pytest.raises(Forbidden, match="only to my-plugin, other-plugin, not to third"):
        auth.authorize_upload(session, token, "third")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(None, False), ("owner", True), ("maintainer", True), ("viewer", False)],
)
def test_existing_projects_need_owner_or_maintainer(
    session: Session, role: str | None, allowed: bool
) -> None:
    project = add_project(session, "taken", owner="bob")
    token = auth.authenticate(session, f"Bearer {auth.create_token(session, 'alice', None)}")
    if role is not None:
        session.add(Role(project_id=project.id, user_id=token.user_id, role=role))
        session.flush()

    if allowed:
        auth.authorize_upload(session, token, "taken")
    else:
        with pytest.raises(Forbidden, match="alice is not an owner or maintainer of project taken"):
            auth.authorize_upload(session, token, "taken")


@pytest.mark.parametrize(
    ("user", "projects", "message"),
    [
        ("", None, "invalid user name"),
        ("has space", None, "invalid user name"),
        ("alice", ["-bad-"], "invalid project name '-bad-'"),
    ],
)
def test_create_token_refuses_bad_names(
    session: Session, user: str, projects: list[str] | None, message: str
) -> None:
    with pytest.raises(RegistryError, match=message):
        auth.create_token(session, user, projects)


def role_of(session: Session, project: Project, user: str) -> str | None:
    return session.scalars(
        select(Role.role)
        .join(User, User.id == Role.user_id)
        .where(Role.project_id == project.id, User.name == user)
    ).one_or_none()


def test_owners_add_change_and_remove_maintainers(session: Session) -> None:
    project = add_project(session, "shared", owner="bob")
    token = auth.authenticate(session, f"Bearer {auth.create_token(session, 'carol', None)}")
    with pytest.raises(Forbidden):
        auth.authorize_upload(session, token, "shared")

    auth.set_role(session, "Shared", "carol", "maintainer")
    auth.authorize_upload(session, token, "shared")
    auth.set_role(session, "shared", "carol", "owner")
    assert role_of(session, project, "carol") == "owner"
    auth.set_role(session, "shared", "carol", None)
    assert role_of(session, project, "carol") is None
    with pytest.raises(Forbidden):
        auth.authorize_upload(session, token, "shared")


@pytest.mark.parametrize(
    ("project", "user", "role", "error", "message"),
    [
        ("nope", "bob", "maintainer", NotFound, "no project nope"),
        ("solo", "nobody", "maintainer", NotFound, "no user nobody"),
        ("solo", "bob", "admin", RegistryError, "unknown role 'admin'"),
        ("solo", "bob", None, RegistryError, "bob is the last owner of solo"),
        ("solo", "bob", "maintainer", RegistryError, "bob is the last owner of solo"),
    ],
)
def test_role_changes_that_are_refused(
    session: Session,
    project: str,
    user: str,
    role: str | None,
    error: type[Exception],
    message: str,
) -> None:
    add_project(session, "solo", owner="bob")
    with pytest.raises(error, match=message):
        auth.set_role(session, project, user, role)
