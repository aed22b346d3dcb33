"""Adapters for plugins written for dativo-ingest."""
