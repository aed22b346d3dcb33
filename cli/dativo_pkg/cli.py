"""The ``dativo-pkg`` command line: a thin click layer over :mod:`dativo_pkg.commands`.

Only :func:`main` turns errors into messages and exit codes (see
:mod:`dativo_pkg.errors` for the table). Results go to stdout, logs and
progress to stderr; ``--json`` makes the result machine-readable.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from dativo_pkg import __version__
from dativo_pkg._internal.redact import RedactingFilter, redact
from dativo_pkg.commands import plugins as plugins_command
from dativo_pkg.commands import run as run_command
from dativo_pkg.display import LiveProgress, render_summary
from dativo_pkg.errors import DativoError
from dativo_pkg.manifest import Manifest

__all__ = ["main"]

log = logging.getLogger("dativo_pkg")
stdout = Console()
stderr = Console(stderr=True, soft_wrap=True)


def _setup_logging(verbose: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler: logging.Handler
    if stderr.is_terminal:
        handler = RichHandler(console=stderr, show_path=False, rich_tracebacks=verbose > 1)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dativo-pkg")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv: debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Build, certify, sign, publish, install and run Dativo plugins."""
    ctx.obj = {"verbose": verbose}
    _setup_logging(verbose)


@cli.command()
@click.argument("job_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
def run(job_file: Path, as_json: bool, quiet: bool) -> None:
    """Run JOB_FILE: stream its source into its target and commit."""
    settings = run_command.RunSettings(job_file=job_file)
    if quiet or as_json or not stderr.is_terminal:
        summary = run_command.run(settings)
    else:
        with LiveProgress(stderr, job_file.stem) as progress:
            summary = run_command.run(settings, progress)
    if as_json:
        _print_json(summary.to_json())
    else:
        stdout.print(render_summary(summary))


@cli.command()
@click.argument("job_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(job_file: Path, as_json: bool) -> None:
    """Validate JOB_FILE and check that its source and target are reachable."""
    result = run_command.check(run_command.RunSettings(job_file=job_file))
    if as_json:
        _print_json(
            {"job": result.job, "source": result.source, "target": result.target, "ok": True}
        )
    else:
        stdout.print(f"job {result.job}: {result.source} → {result.target}: ok")


@cli.command()
@click.option("--kind", type=click.Choice(["reader", "writer"]), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with config schemas.")
def plugins(kind: str | None, as_json: bool) -> None:
    """List the installed readers and writers."""
    records = plugins_command.list_plugins(kind)  # type: ignore[arg-type]
    if as_json:
        _print_json(records)
        return
    table = Table("kind", "connector", "distribution", "version", "language", "API")
    for r in records:
        table.add_row(
            r["kind"], r["connector"], r["distribution"], r["version"], r["language"], r["api"]
        )
    stdout.print(table)


@cli.command("manifest-schema")
def manifest_schema() -> None:
    """Print the JSON Schema of dativo-plugin.json, the plugin manifest."""
    _print_json(Manifest.model_json_schema())


def _interrupted(cause: BaseException | None) -> None:
    signum = cause.signum if isinstance(cause, run_command.Cancelled) else signal.SIGINT
    how = f"cancelled by {signal.Signals(signum).name}"
    stderr.print(f"[red]{how}[/red]: the writer aborted, nothing was committed")
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map errors to messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="dativo-pkg", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns Ctrl-C and SIGTERM into Abort
        _interrupted(exc.__context__)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DativoError as exc:
        stderr.print(
            f"[bold red]error:[/bold red] {redact(exc.message)}", highlight=False, markup=True
        )
        if exc.hint:
            stderr.print(f"  [bold]hint:[/bold] {redact(exc.hint)}", highlight=False)
        log.debug("traceback", exc_info=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        log.debug("traceback", exc_info=True)
        stderr.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: {redact(str(exc))}\n"
            "  this is a bug in dativo-pkg; run with -vv for the traceback and report it",
            highlight=False,
        )
        sys.exit(1)
