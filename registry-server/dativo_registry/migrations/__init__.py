"""Versioned schema migrations (Alembic), configured in code: there is no ``alembic.ini``.

:func:`dativo_registry.db.upgrade` brings a database to the newest revision;
``dativo-registry serve`` and the ``token`` commands call it before anything
else. A revision file in ``versions/`` is named ``NNNN_what.py`` with
``revision = "NNNN"``, so the order is visible in a directory listing.

To add a revision after changing :mod:`dativo_registry.models`, let Alembic
draft it from the difference against a database at the current head, then
read and tidy the draft (name constraints, check ``server_default``)::

    from alembic import command
    from dativo_registry import db, migrations
    from dativo_registry.config import Settings

    engine = db.make_engine(Settings(data_dir=Path("/tmp/draft")))
    db.upgrade(engine)
    with engine.begin() as conn:
        command.revision(migrations.config(conn), "what changed", autogenerate=True,
                         rev_id="0002")
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection

__all__ = ["config"]

SCRIPT_LOCATION = Path(__file__).parent


def config(connection: Connection) -> Config:
    """An Alembic config that runs ``env.py`` on ``connection`` (the caller's transaction)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["connection"] = connection
    return cfg
