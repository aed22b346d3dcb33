"""dativo-registry: a Python package index for Dativo plugins.

pip, uv and twine work against it unchanged (PEP 503/691 simple API, PEP 658
metadata, PEP 592 yanking, PEP 700 fields, the legacy upload API); on top it
indexes plugin manifests, conformance reports and benchmark results.
"""

__version__ = "0.1.0"
