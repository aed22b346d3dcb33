"""The ``dativo-registry`` command line: ``serve``, ``token``, ``role``, ``publisher``, ``yank``,
and the static index's ``index-key`` and ``export-index`` (:mod:`.cli_index`).

Every command takes ``--data-dir`` (default ``./registry-data``) and
``--database-url`` (default: SQLite in the data dir), and first brings the
database schema up to date (:mod:`.cli_database`). Logs go to stderr; stdout carries only results
(``token create`` prints the token alone as its last line, for scripts).
Only :func:`main` turns errors into a message and an exit code.

``serve`` hands its settings to the server processes through environment
variables (the same names its options read), because uvicorn starts each of
``--workers N`` processes by importing :func:`app_from_env`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import uvicorn

from dativo_registry import auth, yanking
from dativo_registry.cli_database import (
    DEFAULT_DATA_DIR,
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    database_options,
    database_session,
    open_database,
    shown_url,
)
from dativo_registry.cli_index import export_index, index_key
from dativo_registry.config import MIB, Settings, trust_roots
from dativo_registry.errors import RegistryError
from dativo_registry.models import Release
from dativo_registry.storage import BlobStore

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app_from_env", "cli", "main", "settings_from_env"]

log = logging.getLogger("dativo_registry")


ENV_MAX_FILE_MB = "DATIVO_REGISTRY_MAX_FILE_MB"
ENV_MAX_EXPANDED_MB = "DATIVO_REGISTRY_MAX_EXPANDED_MB"
ENV_REQUIRE_SIGNATURES = "DATIVO_REGISTRY_REQUIRE_SIGNATURES"
#: Space-separated instance names; trust config paths separated by os.pathsep (as click reads).
ENV_SIGSTORE_INSTANCES = "DATIVO_REGISTRY_SIGSTORE_INSTANCES"
ENV_TRUST_CONFIGS = "DATIVO_REGISTRY_TRUST_CONFIGS"

#: A temporary upload file older than this was left by a killed process (see BlobStore).
STALE_UPLOAD_SECONDS = 24 * 3600
#: How long a stopping server lets requests in progress (an upload) finish.
GRACEFUL_SHUTDOWN_SECONDS = 10


def settings_from_env() -> Settings:
    """The Settings ``serve`` put in the environment (defaults where a variable is unset)."""
    return Settings(
        data_dir=Path(os.environ.get(ENV_DATA_DIR, DEFAULT_DATA_DIR)),
        database_url=os.environ.get(ENV_DATABASE_URL) or None,
        max_file_bytes=_env_mb(ENV_MAX_FILE_MB, Settings.max_file_bytes),
        max_expanded_bytes=_env_mb(ENV_MAX_EXPANDED_MB, Settings.max_expanded_bytes),
        require_signatures=os.environ.get(ENV_REQUIRE_SIGNATURES, "") == "1",
        sigstore_instances=tuple(os.environ.get(ENV_SIGSTORE_INSTANCES, "").split())
        or Settings.sigstore_instances,
        trust_configs=tuple(
            Path(path) for path in os.environ.get(ENV_TRUST_CONFIGS, "").split(os.pathsep) if path
        ),
    )


def app_from_env() -> FastAPI:
    """The uvicorn factory each server process calls: the app for :func:`settings_from_env`."""
    from dativo_registry.app import create_app  # the token commands need no web stack

    return create_app(settings_from_env())


def _env_mb(name: str, default_bytes: int) -> int:
    value = os.environ.get(name)
    return int(value) * MIB if value else default_bytes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv: debug).")
def cli(verbose: int) -> None:
    """Run and administer a Dativo plugin registry (a Python package index)."""
    _setup_logging(verbose)


@cli.command()
@database_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port."
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Processes."
)
@click.option(
    "--max-file-mb",
    type=click.IntRange(min=1),
    default=Settings.max_file_bytes // MIB,
    show_default=True,
    envvar=ENV_MAX_FILE_MB,
    help="Largest accepted upload.",
)
@click.option(
    "--max-expanded-mb",
    type=click.IntRange(min=1),
    default=Settings.max_expanded_bytes // MIB,
    show_default=True,
    envvar=ENV_MAX_EXPANDED_MB,
    help="Largest total size of an archive's members once expanded (zip bombs).",
)
@click.option(
    "--require-signatures",
    is_flag=True,
    envvar=ENV_REQUIRE_SIGNATURES,
    help="Refuse uploads not signed by a publisher of their project (`publisher add`).",
)
@click.option(
    "--sigstore-instance",
    "sigstore_instances",
    type=click.Choice(["production", "staging"]),
    multiple=True,
    default=Settings.sigstore_instances,
    show_default=True,
    envvar=ENV_SIGSTORE_INSTANCES,
    help="Accept keyless signatures from this public Sigstore instance (repeatable).",
)
@click.option(
    "--trust-config",
    "trust_configs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    envvar=ENV_TRUST_CONFIGS,
    help="Also accept a private Sigstore instance: its ClientTrustConfig JSON (repeatable).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log every request on stderr (off for benchmarks or behind a proxy that logs).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    data_dir: Path,
    database_url: str | None,
    host: str,
    port: int,
    workers: int,
    max_file_mb: int,
    max_expanded_mb: int,
    require_signatures: bool,
    sigstore_instances: tuple[str, ...],
    trust_configs: tuple[Path, ...],
    access_log: bool,
) -> None:
    """Serve the registry: the simple index at /simple/, uploads at /legacy/, the API at /api/."""
    data_dir = data_dir.resolve()
    trust_configs = tuple(path.resolve() for path in trust_configs)
    # A bad trust root fails here, once, rather than in every worker.
    roots = trust_roots(
        Settings(data_dir, sigstore_instances=sigstore_instances, trust_configs=trust_configs)
    )
    open_database(data_dir, database_url).dispose()
    BlobStore(Settings(data_dir=data_dir).blob_dir).remove_stale_temps(STALE_UPLOAD_SECONDS)
    os.environ.update(
        {
            ENV_DATA_DIR: str(data_dir),
            ENV_DATABASE_URL: database_url or "",
            ENV_MAX_FILE_MB: str(max_file_mb),
            ENV_MAX_EXPANDED_MB: str(max_expanded_mb),
            ENV_REQUIRE_SIGNATURES: "1" if require_signatures else "0",
            ENV_SIGSTORE_INSTANCES: " ".join(sigstore_instances),
            ENV_TRUST_CONFIGS: os.pathsep.join(map(str, trust_configs)),
        }
    )
    log.info("blobs in %s, database %s, %d worker(s)", data_dir, shown_url(database_url), workers)
    log.info("accepting signatures from Sigstore %s", roots.describe())
    uvicorn.run(
        f"{__name__}:{app_from_env.__name__}",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=_uvicorn_logging(ctx.find_root().params["verbose"]),
        access_log=access_log,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


@cli.group()
def token() -> None:
    """Create and revoke API tokens (twine: username __token__, the token as password)."""


@token.command("create")
@database_options
@click.option("--user", "user_name", required=True, help="The user; created if new.")
@click.option(
    "--project",
    "projects",
    multiple=True,
    help="Allow uploads only to this project (repeatable; default: any).",
)
def token_create(
    data_dir: Path, database_url: str | None, user_name: str, projects: tuple[str, ...]
) -> None:
    """Create an API token and print it (only this once: it is stored hashed)."""
    with database_session(data_dir, database_url) as session:
        new_token = auth.create_token(session, user_name, list(projects))
    scope = f"projects {', '.join(projects)}" if projects else "any project"
    click.echo(
        f"API token for {user_name} ({scope}); it is shown only this once, store it now:",
        err=True,
    )
    click.echo(new_token)


@token.command("revoke")
@database_options
@click.argument("token_or_prefix")
def token_revoke(data_dir: Path, database_url: str | None, token_or_prefix: str) -> None:
    """Revoke a token, given whole or by its prefix (the 12 hex digits after dtv_)."""
    with database_session(data_dir, database_url) as session:
        auth.revoke_token(session, token_or_prefix)
    click.echo(f"revoked token dtv_{token_or_prefix.removeprefix('dtv_')[:12]}", err=True)


@cli.group()
def role() -> None:
    """Who may upload to a project: its owners and maintainers."""


@role.command("add")
@database_options
@click.argument("project")
@click.argument("user_name", metavar="USER")
@click.option(
    "--role",
    "role_name",
    type=click.Choice(auth.UPLOAD_ROLES),
    default="maintainer",
    show_default=True,
)
def role_add(
    data_dir: Path, database_url: str | None, project: str, user_name: str, role_name: str
) -> None:
    """Let USER upload to PROJECT (or change their role)."""
    _set_role(data_dir, database_url, project, user_name, role_name)
    click.echo(f"{user_name} is now {role_name} of {project}", err=True)


@role.command("remove")
@database_options
@click.argument("project")
@click.argument("user_name", metavar="USER")
def role_remove(data_dir: Path, database_url: str | None, project: str, user_name: str) -> None:
    """Take away USER's role on PROJECT."""
    _set_role(data_dir, database_url, project, user_name, None)
    click.echo(f"{user_name} has no role on {project} any more", err=True)


def _set_role(
    data_dir: Path, database_url: str | None, project: str, user_name: str, role: str | None
) -> None:
    with database_session(data_dir, database_url) as session:
        auth.set_role(session, project, user_name, role)


@cli.group()
def publisher() -> None:
    """Who may sign a project's files; once it has one, uploads must be signed by one."""


@publisher.command("add")
@database_options
@click.option("--project", required=True, help="The project (it need not exist yet).")
@click.option("--issuer", help="OIDC issuer URL of a keyless signer.")
@click.option(
    "--identity",
    help="Certificate identity (SAN); a workflow without @refs/... accepts every ref.",
)
@click.option(
    "--key",
    "key_file",
    type=click.File("rb"),
    help="A public key (PEM, from `dativo-pkg key generate`), for offline signing.",
)
def publisher_add(
    data_dir: Path,
    database_url: str | None,
    project: str,
    issuer: str | None,
    identity: str | None,
    key_file: IO[bytes] | None,
) -> None:
    """Register a publisher: --issuer URL --identity SAN, or --key PUBKEY.pem."""
    from dativo_registry import publishers  # loads Sigstore: only the commands that need it

    if key_file is not None and (issuer or identity):
        raise click.UsageError("give either --key or --issuer with --identity, not both")
    if key_file is not None:
        expected = publishers.key_publisher(key_file.read())
    elif issuer and identity:
        expected = publishers.oidc_publisher(issuer, identity)
    else:
        raise click.UsageError("give --issuer and --identity (keyless), or --key (a public key)")
    with database_session(data_dir, database_url) as session:
        row = publishers.add_publisher(session, project, expected)
    click.echo(f"{expected.describe()} is now a publisher of {row.project}", err=True)


@publisher.command("list")
@database_options
@click.option("--project", help="Only this project's publishers.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def publisher_list(
    data_dir: Path, database_url: str | None, project: str | None, as_json: bool
) -> None:
    """List publishers, of one project or of all."""
    from dativo_registry import publishers

    with database_session(data_dir, database_url) as session:
        rows = [
            publishers.publisher_json(row) for row in publishers.list_publishers(session, project)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        who = row["key_id"] if row["kind"] == "key" else f"{row['identity']} ({row['issuer']})"
        click.echo(f"{row['project']}\t{row['kind']}\t{who}")


@publisher.command("remove")
@database_options
@click.option("--project", required=True)
@click.option("--issuer", help="The OIDC issuer of the publisher to remove.")
@click.option("--identity", help="Its identity, exactly as registered.")
@click.option("--key-id", help="The key id (sha256:...) of a key publisher to remove.")
def publisher_remove(
    data_dir: Path,
    database_url: str | None,
    project: str,
    issuer: str | None,
    identity: str | None,
    key_id: str | None,
) -> None:
    """Remove a publisher: --issuer with --identity, or --key-id."""
    from dativo_registry import publishers

    with database_session(data_dir, database_url) as session:
        row = publishers.remove_publisher(
            session, project, issuer=issuer, identity=identity, key_id=key_id
        )
        removed = publishers.to_publisher(row).describe()
    click.echo(f"{removed} is no longer a publisher of {row.project}", err=True)


@cli.command()
@database_options
@click.argument("project")
@click.argument("version")
@click.option(
    "--reason",
    default="",
    help="Why; pip and uv show it to whoever installs the release pinned.",
)
def yank(data_dir: Path, database_url: str | None, project: str, version: str, reason: str) -> None:
    """Yank a release (PEP 592): installers skip it unless it is pinned with ==."""
    release = _set_yanked(data_dir, database_url, project, version, reason)
    because = f": {release.yanked_reason}" if release.yanked_reason else ""
    click.echo(f"yanked {release.project.name} {release.version}{because}", err=True)


@cli.command()
@database_options
@click.argument("project")
@click.argument("version")
def unyank(data_dir: Path, database_url: str | None, project: str, version: str) -> None:
    """Unyank a release: installers may choose it again."""
    release = _set_yanked(data_dir, database_url, project, version, None)
    click.echo(f"unyanked {release.project.name} {release.version}", err=True)


def _set_yanked(
    data_dir: Path, database_url: str | None, project: str, version: str, reason: str | None
) -> Release:
    """Yank (``reason`` a string) or unyank (None) in one transaction, committed on return."""
    with database_session(data_dir, database_url) as session:
        release = yanking.set_yanked(session, project, version, reason)
        session.refresh(release, ["project"])  # loaded now: the message names the project
    return release


cli.add_command(export_index)
cli.add_command(index_key)


def _setup_logging(verbose: int) -> None:
    """Our own messages at INFO; everyone else's (alembic, ...) from ``-v`` on."""
    logging.basicConfig(
        level={0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    log.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def _uvicorn_logging(verbose: int) -> dict[str, Any]:
    """uvicorn's logging setup with the access log on stderr too (applied in every worker)."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"]["dativo_registry"] = {
        "handlers": ["default"],
        "level": "DEBUG" if verbose > 1 else "INFO",
        "propagate": False,
    }
    return config


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; errors become one message on stderr and a nonzero exit."""
    try:
        code = cli.main(args=argv, prog_name="dativo-registry", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RegistryError as exc:
        click.echo(f"error: {exc.message}", err=True)
        log.debug("traceback", exc_info=True)
        sys.exit(1)
    except Exception as exc:
        log.debug("traceback", exc_info=True)
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  this is a bug in dativo-registry; run with -vv for the traceback and report it",
            err=True,
        )
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)
