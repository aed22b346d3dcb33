"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["get_session"]


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, closed when the response is done.

    The session does not commit on its own: a handler that writes commits
    explicitly, so a failure half-way leaves nothing behind.
    """
    maker: sessionmaker[Session] = request.app.state.sessionmaker
    with maker() as session:
        yield session
