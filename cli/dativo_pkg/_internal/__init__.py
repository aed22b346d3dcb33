"""Unstable internals: adapters and helpers that may change without notice."""
