"""A dativo-ingest plugin whose dependency is not installed."""

import dativo_test_dependency_that_is_not_installed  # noqa: F401
from dativo_ingest.plugins import BaseReader


class BrokenReader(BaseReader):
    def extract(self, state_manager=None):
        yield []
