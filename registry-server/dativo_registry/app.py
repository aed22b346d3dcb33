"""The ASGI application: settings, database, blob store and routers wired together."""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from dativo_registry import api, files, integrity, manage, publishing, simple, web
from dativo_registry.config import Settings, trust_roots
from dativo_registry.db import make_engine, make_sessionmaker
from dativo_registry.errors import RegistryError
from dativo_registry.storage import BlobStore
from dativo_registry.timing import ServerTiming

__all__ = ["create_app"]

#: Errors under these paths are JSON ``{"detail": ...}``; elsewhere plain text (for twine).
JSON_ERROR_PATHS = ("/api/", "/integrity/")


def create_app(settings: Settings) -> FastAPI:
    """Build the registry application for ``settings``.

    ``app.state`` holds what the routers share: ``settings``, ``engine``,
    ``sessionmaker``, ``store`` (the blob store), ``page_cache`` (rendered
    simple pages of this process) and ``trust_roots`` (the Sigstore roots
    signatures are verified against, loaded here so that no request pays
    for it). The schema is not migrated here:
    ``dativo-registry serve`` runs the migrations once, before its workers start.
    """
    app = FastAPI(
        title="Dativo registry",
        summary="A Python package index for Dativo plugins and everything they depend on.",
        version="1",
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.store = BlobStore(settings.blob_dir)
    app.state.page_cache = simple.PageCache()
    app.state.trust_roots = trust_roots(settings)
    for module in (simple, files, integrity, api, publishing, manage, web):  # web: last (it has /)
        app.include_router(module.router)
    if importlib.util.find_spec("dativo_registry.upload") is not None:
        app.include_router(importlib.import_module("dativo_registry.upload").router)
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_middleware(ServerTiming)  # Server-Timing: app;dur=MS on the responses
    return app


async def _registry_error(request: Request, exc: Exception) -> Response:
    """Deliberate errors: their status and message (twine shows the message to the user)."""
    assert isinstance(exc, RegistryError)
    headers = {"WWW-Authenticate": 'Basic realm="dativo-registry"'} if exc.status == 401 else None
    if request.url.path.startswith(JSON_ERROR_PATHS):
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)
    return PlainTextResponse(exc.message, status_code=exc.status, headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 for a request its handler's signature rejects, minus the echoed input.

    FastAPI's own handler echoes each rejected value, and fails with a 500
    when one cannot be written as JSON: a NaN, or a string with an unpaired
    surrogate (both pass Python's JSON parser). The location and the message
    say what to fix.
    """
    assert isinstance(exc, RequestValidationError)
    errors = [
        {key: value for key, value in error.items() if key != "input"} for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
