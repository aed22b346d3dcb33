"""The registry's one error hierarchy; the HTTP layer maps each to a status code."""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "NotFound", "RegistryError", "Unauthorized", "UploadRefused"]


class RegistryError(Exception):
    """Root of every error the registry raises on purpose. ``status`` is the HTTP status."""

    status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadRefused(RegistryError):
    """An uploaded file is refused; the message says why (shown to twine users)."""

    status = 400


class Unauthorized(RegistryError):
    status = 401


class Forbidden(RegistryError):
    status = 403


class NotFound(RegistryError):
    status = 404


class Conflict(RegistryError):
    """The filename exists or existed before: files are immutable, never reused."""

    status = 409
