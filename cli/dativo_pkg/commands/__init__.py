"""The commands of ``dativo-pkg``: plain functions, one module each.

The click layer in :mod:`dativo_pkg.cli` only parses arguments into these
functions' settings and prints what they return.
"""
