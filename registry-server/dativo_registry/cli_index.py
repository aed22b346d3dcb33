"""``dativo-registry index-key generate`` and ``dativo-registry export-index``: the signed
static index (:mod:`dativo_registry.export`, format and trust model in docs/marketplace.md).

The index key is an Ed25519 key, its private half encrypted with a passphrase
read from ``--passphrase-file``, ``$DATIVO_INDEX_KEY_PASSPHRASE`` or a prompt.
:mod:`dativo_registry.export` is imported by the commands that use it: the
other commands, and the server's workers, which import the command line, do
not pay for it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from dativo_registry.cli_database import database_options, open_database
from dativo_registry.config import Settings

__all__ = ["export_index", "index_key"]


def _index_passphrase(passphrase_file: Path | None, confirm: bool) -> bytes:
    from dativo_registry import export

    prompt = None
    if sys.stdin.isatty():
        prompt = lambda: str(  # noqa: E731
            click.prompt("passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
        )
    return export.index_passphrase(passphrase_file, prompt)


_PASSPHRASE_HELP = (
    "The key's passphrase (first line); else $DATIVO_INDEX_KEY_PASSPHRASE or a prompt."
)


@click.command("export-index")
@database_options
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The index key (Ed25519, from `dativo-registry index-key generate`).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_PASSPHRASE_HELP,
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, 3650),
    default=7,
    show_default=True,
    help="Clients refuse the index this many days after the export (export again before).",
)
@click.option(
    "--version",
    "index_version",
    type=click.IntRange(min=1),
    help="The version to write (default: the version in OUT plus one); must be higher.",
)
@click.option(
    "--registry",
    "registry_name",
    default="dativo-registry",
    show_default=True,
    help="The registry's public URL (or a name), recorded in index.json; pages link files to it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def export_index(
    data_dir: Path,
    database_url: str | None,
    out: Path,
    key_file: Path,
    passphrase_file: Path | None,
    expires_days: int,
    index_version: int | None,
    registry_name: str,
    as_json: bool,
) -> None:
    """Write the marketplace into OUT as a signed static index any static host can serve."""
    from dativo_registry import export

    passphrase = _index_passphrase(passphrase_file, confirm=False)
    data_dir = data_dir.resolve()
    open_database(data_dir, database_url).dispose()
    settings = export.ExportSettings(
        out=out,
        registry=Settings(data_dir=data_dir, database_url=database_url),
        key_file=key_file,
        passphrase=passphrase,
        expires_days=expires_days,
        version=index_version,
        registry_name=registry_name,
    )
    result = export.export_index(settings)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    summary = result.summary
    click.echo(
        f"exported {summary.plugins} plugins and {result.pages} pages to {summary.out}: "
        f"version {summary.version}, expires {result.to_json()['expires']}, "
        f"signed by {summary.key_id}"
    )


@click.group("index-key")
def index_key() -> None:
    """The key that signs static index exports (`export-index`)."""


@index_key.command("generate")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (encrypted); the public key goes to OUTPUT.pub.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_PASSPHRASE_HELP,
)
@click.option("--json", "as_json", is_flag=True, help="Print the key id and paths as JSON.")
def index_key_generate(output: Path, passphrase_file: Path | None, as_json: bool) -> None:
    """Generate an Ed25519 index key pair; clients pin OUTPUT.pub (`dativo-pkg --index-key`)."""
    from dativo_registry import export

    public, key_id = export.generate_key(output, _index_passphrase(passphrase_file, confirm=True))
    if as_json:
        result = {"private_key": str(output), "public_key": str(public), "key_id": key_id}
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"wrote {output} (encrypted) and {public}\nkey id: {key_id}")
