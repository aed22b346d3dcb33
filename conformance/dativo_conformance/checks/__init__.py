"""The checks, one small class each; importing this package registers them in order."""

from dativo_conformance.checks import _certified, _contract, _reader, _writer

__all__ = ["_certified", "_contract", "_reader", "_writer"]
