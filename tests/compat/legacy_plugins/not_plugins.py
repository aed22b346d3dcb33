"""Classes that are not dativo-ingest plugins."""

from dativo_ingest.plugins import BaseReader

NOT_A_CLASS = "just a string"


class Helper:
    """Neither extract() nor write_batch()."""

    def run(self):
        return None


class AbstractReader(BaseReader):
    """Subclasses BaseReader but never implements extract()."""
