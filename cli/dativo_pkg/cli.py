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
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table

from dativo_pkg import __version__
from dativo_pkg._internal.redact import RedactingFilter, redact
from dativo_pkg.errors import DativoError

# Each command imports what it needs when it runs: `dativo-pkg sign` never
# loads pyarrow, `dativo-pkg run` never loads Sigstore.

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
    from dativo_pkg.commands import run as run_command
    from dativo_pkg.display import LiveProgress, render_summary

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
    from dativo_pkg.commands import run as run_command

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
    from dativo_pkg.commands import plugins as plugins_command

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
    from dativo_pkg.manifest import Manifest

    _print_json(Manifest.model_json_schema())


# --- sign, key (trust) ---


def _sigstore_options(func: Any) -> Any:
    """Options selecting the Sigstore instance, shared by the commands that sign or verify."""
    func = click.option(
        "--trust-config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A Sigstore ClientTrustConfig JSON file (a private instance).",
    )(func)
    return click.option(
        "--staging", is_flag=True, help="Use Sigstore's staging instance, not production."
    )(func)


def _sigstore_instance_option(func: Any) -> Any:
    """Which public Sigstore instances' keyless signatures a verifying command accepts."""
    return click.option(
        "--sigstore-instance",
        "sigstore_instances",
        type=click.Choice(["production", "staging"]),
        multiple=True,
        help="Accept keyless signatures from this Sigstore instance (default: production).",
    )(func)


def _prompt_passphrase(confirm: bool) -> Callable[[], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda: str(
        click.prompt("passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    )


@cli.command()
@click.argument("dists", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign offline with this publisher key (see `dativo-pkg key generate`).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The key's passphrase (first line); else $DATIVO_KEY_PASSPHRASE or a prompt.",
)
@click.option("--identity-token", help="An OIDC identity token for keyless signing.")
@_sigstore_options
@click.option(
    "--conformance",
    "conformance_report",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign this conformance report as a statement about each DIST.",
)
@click.option(
    "--benchmark",
    "benchmark_results",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sign these benchmark results as a statement about each DIST.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def sign(
    dists: tuple[Path, ...],
    key_file: Path | None,
    passphrase_file: Path | None,
    identity_token: str | None,
    staging: bool,
    trust_config: Path | None,
    conformance_report: Path | None,
    benchmark_results: Path | None,
    as_json: bool,
) -> None:
    """Sign DISTS: keyless through Sigstore (PEP 740), or offline with --key.

    Writes DIST.publish.attestation (keyless) or DIST.key.attestation (--key),
    the files `twine upload --attestations` sends; with --conformance or
    --benchmark, a signed statement DIST.<kind>.sigstore.json instead.
    """
    from dativo_pkg.commands import sign as sign_command
    from dativo_pkg.trust import KeylessOptions

    if conformance_report and benchmark_results:
        raise click.UsageError("sign a conformance report or benchmark results, not both")
    statement: Literal["publish", "conformance", "benchmark"] = "publish"
    if conformance_report:
        statement = "conformance"
    elif benchmark_results:
        statement = "benchmark"
    settings = sign_command.SignSettings(
        dists=dists,
        key_file=key_file,
        passphrase_file=passphrase_file,
        keyless=KeylessOptions(
            identity_token=identity_token,
            instance="staging" if staging else "production",
            trust_config=trust_config,
        ),
        statement=statement,
        report=conformance_report or benchmark_results,
    )
    results = sign_command.sign(settings, _prompt_passphrase(confirm=False))
    if as_json:
        _print_json([r.to_json() for r in results])
        return
    for r in results:
        stdout.print(f"signed {r.dist.name} ({r.method}) → {r.signature}", highlight=False)


@cli.group()
def key() -> None:
    """Publisher keys for offline signing (air-gapped registries)."""


@key.command("generate")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key; the public key goes to OUTPUT.pub.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The passphrase (first line); else $DATIVO_KEY_PASSPHRASE or a prompt.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the key id and paths as JSON.")
def key_generate(output: Path, passphrase_file: Path | None, as_json: bool) -> None:
    """Generate a publisher key pair; the private key is encrypted with a passphrase."""
    from dativo_pkg.commands import keys as keys_command

    settings = keys_command.KeySettings(output=output, passphrase_file=passphrase_file)
    made = keys_command.generate(settings, _prompt_passphrase(confirm=True))
    if as_json:
        _print_json(
            {
                "private_key": str(made.private_key),
                "public_key": str(made.public_key),
                "key_id": made.key_id,
            }
        )
        return
    stdout.print(
        f"wrote {made.private_key} (encrypted) and {made.public_key}\nkey id: {made.key_id}\n"
        f"register it: dativo-registry publisher add --project NAME --key {made.public_key}",
        highlight=False,
    )


# --- end sign, key ---


# --- install, list, uninstall (trust) ---


def _lockfile_option(func: Any) -> Any:
    return click.option(
        "--lockfile",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("dativo.lock"),
        show_default=True,
        help="The lockfile recording what is installed and who signed it.",
    )(func)


def _prefix_option(func: Any) -> Any:
    return click.option(
        "--prefix",
        type=click.Path(file_okay=False, path_type=Path),
        help="Use this installation prefix (like pip's) instead of the running environment.",
    )(func)


@cli.command()
@click.argument("requirements", nargs=-1, metavar="NAME[SPEC]...")
@click.option("--index-url", help="The index's simple API URL (default: $DATIVO_INDEX_URL).")
@_lockfile_option
@click.option(
    "--policy",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust policy (YAML): the signers allowed for each plugin.",
)
@click.option("--locked", is_flag=True, help="Install exactly what the lockfile records.")
@click.option("--allow-unsigned", is_flag=True, help="Install plugins that are not signed.")
@click.option(
    "--accept-new-signer",
    multiple=True,
    metavar="NAME",
    help="Accept a signer of NAME other than the one the lockfile records (repeatable).",
)
@_sigstore_instance_option
@click.option(
    "--trust-config",
    "trust_configs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Also accept a private Sigstore instance: its ClientTrustConfig JSON (repeatable).",
)
@_prefix_option
@click.option("--json", "as_json", is_flag=True, help="Print what was installed as JSON.")
def install(
    requirements: tuple[str, ...],
    index_url: str | None,
    lockfile: Path,
    policy: Path | None,
    locked: bool,
    allow_unsigned: bool,
    accept_new_signer: tuple[str, ...],
    sigstore_instances: tuple[str, ...],
    trust_configs: tuple[Path, ...],
    prefix: Path | None,
    as_json: bool,
) -> None:
    """Install plugins verified: digests and signatures are checked before anything is installed."""
    from dativo_pkg.commands import install as install_command

    settings = install_command.InstallSettings(
        requirements=requirements,
        index_url=index_url,
        lockfile=lockfile,
        policy=policy,
        locked=locked,
        allow_unsigned=allow_unsigned,
        accept_new_signer=accept_new_signer,
        sigstore_instances=sigstore_instances,
        trust_configs=trust_configs,
        prefix=prefix,
        progress=not as_json and stderr.is_terminal,
    )
    result = install_command.install(settings)
    if as_json:
        _print_json(result.to_json())
        return
    for item in result.packages:
        package = item.package
        signer = f"signed by {package.signer}" if package.signer else "not signed"
        if not package.plugin and package.signer is None:
            signer = "digest checked"
        change = f"{item.previous_version} → " if item.action == "replaced" else ""
        line = f"{item.action} {package.name} {change}{package.version} ({signer})"
        stdout.print(line, highlight=False, soft_wrap=True)
    stdout.print(f"lockfile: {result.lockfile}", highlight=False, soft_wrap=True)


@cli.command("list")
@_lockfile_option
@_prefix_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(lockfile: Path, prefix: Path | None, as_json: bool) -> None:
    """List what the lockfile records, whether it is installed, and what it provides."""
    from dativo_pkg.commands import list_installed

    records = list_installed.list_installed(list_installed.ListSettings(lockfile, prefix))
    if as_json:
        _print_json(records)
        return
    table = Table("name", "version", "status", "provides", "signer")
    for r in records:
        signer = r["signer"]["identity"] if r["signer"] else ""
        version = r["version"] or r["installed_version"]
        table.add_row(r["name"], version, r["status"], ", ".join(r["provides"]), signer)
    stdout.print(table)


@cli.command()
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@_lockfile_option
@_prefix_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
def uninstall(
    names: tuple[str, ...], lockfile: Path, prefix: Path | None, yes: bool, as_json: bool
) -> None:
    """Remove installed distributions (their RECORD's files) and drop them from the lockfile."""
    from dativo_pkg.commands import uninstall as uninstall_command

    if not yes and not sys.stdin.isatty():
        raise click.UsageError("pass --yes to uninstall without a confirmation prompt")

    def confirm(plan: Any) -> bool:
        for removal in plan:
            stderr.print(f"  {removal.name} {removal.version or '(not installed)'}")
        return click.confirm("remove these?", err=True)

    settings = uninstall_command.UninstallSettings(names, lockfile, prefix)
    removed = uninstall_command.uninstall(settings, None if yes else confirm)
    if as_json:
        _print_json([r.to_json() for r in removed])
        return
    for r in removed:
        what = f"{r.name} {r.version}" if r.version else f"{r.name} (was not installed)"
        stdout.print(f"removed {what}: {len(r.files)} files", highlight=False)


# --- end install, list, uninstall ---


# --- new, build ---


@cli.command()
@click.argument("kind", type=click.Choice(["reader", "writer"]))
@click.argument("name")
@click.option(
    "--lang",
    "language",
    type=click.Choice(["python", "rust", "go"]),
    default="python",
    show_default=True,
    help="The plugin's language (templates: python reader/writer, rust reader, go reader).",
)
@click.option("--no-input", is_flag=True, help="Do not ask for author, email and description.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help="Where to create the project directory (default: here).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was created as JSON.")
def new(
    kind: str, name: str, language: str, no_input: bool, output_dir: Path, as_json: bool
) -> None:
    """Create a plugin project NAME from a template: `new reader --lang python acme-csv`."""
    from dativo_pkg.commands import new as new_command

    def ask(label: str, default: str) -> str:
        return str(click.prompt(label, default=default, err=True))

    interactive = not no_input and sys.stdin.isatty()
    settings = new_command.NewSettings(
        kind=kind,
        language=language,
        name=name,
        output_dir=output_dir,
        prompt=ask if interactive else None,
    )
    result = new_command.new_project(settings)
    if as_json:
        _print_json(result.to_json())
        return
    stdout.print(
        f"created {result.language} {result.kind} {result.project_slug} in {result.path} "
        f"(connector {result.connector}, package {result.package_name})",
        highlight=False,
    )
    stderr.print(
        f"next: cd {result.path} && dativo-pkg test   (builds dist/ and tests the wheel)",
        highlight=False,
    )


@cli.command()
@click.argument(
    "project", type=click.Path(file_okay=False, path_type=Path), default=Path("."), required=False
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the distributions go (default: PROJECT/dist).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the built files as JSON.")
def build(project: Path, out_dir: Path | None, as_json: bool) -> None:
    """Build the plugin project PROJECT (default: here) into wheels and an sdist."""
    from dativo_pkg.commands import build as build_command

    settings = build_command.BuildSettings(
        project=project, out_dir=out_dir, progress=stderr.is_terminal and not as_json
    )
    result = build_command.build(settings)
    if as_json:
        _print_json(result.to_json())
        return
    for path in [*result.wheels, *result.sdists]:
        stdout.print(f"built {path}", highlight=False)


# --- end new, build ---


# --- publish ---


@cli.command()
@click.argument(
    "paths", nargs=-1, type=click.Path(path_type=Path), metavar="[DIST_DIR_OR_FILES]..."
)
@click.option(
    "--registry",
    metavar="NAME|URL",
    help="A registry named in ~/.config/dativo/config.toml, or its root URL "
    "(default: the config's default-registry).",
)
@click.option(
    "--token",
    help="The API token (default: $DATIVO_REGISTRY_TOKEN, else the registry's config entry).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was published as JSON.")
def publish(
    paths: tuple[Path, ...], registry: str | None, token: str | None, as_json: bool
) -> None:
    """Upload distributions (default: dist/), their signatures, reports and benchmarks.

    Refuses, before uploading anything, what the registry would refuse:
    unsigned files when it requires signatures, signatures about other files.
    """
    from dativo_pkg.commands import publish as publish_command

    progress = stderr.is_terminal and not as_json
    settings = publish_command.PublishSettings(
        paths=paths or (Path("dist"),), registry=registry, token=token, progress=progress
    )
    say = (lambda message: stderr.print(message, highlight=False)) if progress else None
    result = publish_command.publish(settings, say)
    if as_json:
        _print_json(result.to_json())
        return
    for release in result.releases:
        for f in release.files:
            signed = "signed" if f["signed"] else "unsigned"
            line = f"{f['action']} {f['filename']} ({signed})"
            stdout.print(line, highlight=False, soft_wrap=True)
        for s in release.statements:
            line = f"{s['action']} {s['kind']} {s['file']}"
            stdout.print(line, highlight=False, soft_wrap=True)
        level = release.certification or "none"
        stdout.print(f"{release.url} (certification: {level})", highlight=False, soft_wrap=True)


# --- end publish ---


# --- test, bench ---

_LEVEL_CHOICE = click.Choice(["compatible", "verified", "certified"])


def _project_argument(func: Any) -> Any:
    return click.argument(
        "project",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        required=False,
    )(func)


def _dist_option(help_text: str) -> Callable[[Any], Any]:
    return click.option(
        "--dist",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help_text,
    )


def _postgres_url_option(func: Any) -> Any:
    return click.option(
        "--postgres-url",
        envvar="DATIVO_TEST_PG_URL",
        help="A PostgreSQL server for postgres fixtures; a scratch database is created "
        "and dropped on it (default: $DATIVO_TEST_PG_URL).",
    )(func)


@cli.command("test")
@_project_argument
@_dist_option("Test this wheel (default: build PROJECT into PROJECT/dist first).")
@click.option(
    "--level",
    type=_LEVEL_CHOICE,
    default="verified",
    show_default=True,
    help="The level the plugin must reach (exit 3 otherwise).",
)
@_postgres_url_option
@click.option(
    "--publisher-key",
    "publisher_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A publisher's public key (PEM) whose signature counts (repeatable).",
)
@_sigstore_instance_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def test_(
    project: Path,
    dist: Path | None,
    level: str,
    postgres_url: str | None,
    publisher_keys: tuple[Path, ...],
    sigstore_instances: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run the conformance suite on PROJECT's plugin; write DIST.conformance.json."""
    from dativo_pkg.commands import conformance

    progress = stderr.is_terminal and not as_json
    settings = conformance.ConformanceSettings(
        project=project,
        dist=dist,
        level=level,  # type: ignore[arg-type]
        postgres_url=postgres_url,
        publisher_keys=publisher_keys,
        sigstore_instances=sigstore_instances or ("production",),
        progress=progress,
    )
    observer = conformance.CheckProgress(stderr) if progress else None
    outcome = conformance.run_test(settings, observer)
    if as_json:
        _print_json(outcome.to_json())
    else:
        stdout.print(conformance.render_report(outcome.report))
        stdout.print(f"report: {outcome.report_path}", highlight=False, soft_wrap=True)
    conformance.require_level(outcome.report, settings.level)


@cli.command()
@_project_argument
@_dist_option("Benchmark this wheel and write DIST.benchmark.json (default: the installed plugin).")
@click.option(
    "--rows", type=click.IntRange(min=1), default=100_000, show_default=True, help="Dataset rows."
)
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Runs per side; the best one counts.",
)
@_postgres_url_option
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def bench(
    project: Path,
    dist: Path | None,
    rows: int,
    repeats: int,
    postgres_url: str | None,
    as_json: bool,
) -> None:
    """Measure PROJECT's plugin against the built-in baseline: rows/s, MB/s, peak RSS."""
    from dativo_pkg.commands import bench as bench_command

    settings = bench_command.BenchSettings(
        project=project, dist=dist, rows=rows, repeats=repeats, postgres_url=postgres_url
    )
    if stderr.is_terminal and not as_json:
        with stderr.status("benchmarking") as status:
            outcome = bench_command.run_bench(settings, lambda m: status.update(m))
    else:
        outcome = bench_command.run_bench(settings)
    if as_json:
        _print_json(outcome.to_json())
        return
    stdout.print(bench_command.render_bench(outcome.results))
    if outcome.path is not None:
        stdout.print(f"results: {outcome.path}", highlight=False, soft_wrap=True)


# --- end test, bench ---


# --- search, info ---


def _catalog_options(func: Any) -> Any:
    """Where to look: a registry (its plugin API) or a signed static index."""
    func = click.option(
        "--index-key",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Pin the static index's public key (PEM); default: [indexes] in the config "
        "file, else the key first seen for the URL.",
    )(func)
    func = click.option(
        "--index-url",
        metavar="URL|NAME",
        help="A signed static index (`dativo-registry export-index` output: URL, directory, "
        "or an [indexes.NAME] of the config file), verified; no registry needed.",
    )(func)
    return click.option(
        "--registry",
        metavar="NAME|URL",
        help="A registry named in ~/.config/dativo/config.toml, or its root URL "
        "(default: the config's default-registry).",
    )(func)


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--kind", type=click.Choice(["reader", "writer"]), help="Only this kind.")
@click.option(
    "--limit", type=click.IntRange(1, 100), default=50, show_default=True, help="Results shown."
)
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search(
    query: tuple[str, ...],
    kind: str | None,
    limit: int,
    registry: str | None,
    index_url: str | None,
    index_key: Path | None,
    as_json: bool,
) -> None:
    """Find plugins whose name, summary or description has every word of QUERY."""
    from dativo_pkg.commands import search as search_command

    catalog = search_command.CatalogOptions(registry, index_url, index_key)
    settings = search_command.SearchSettings(" ".join(query) or None, kind, limit, catalog)
    outcome = search_command.search(settings)
    if as_json:
        _print_json(outcome.to_json())
        return
    stdout.print(search_command.render_results(outcome))


@cli.command()
@click.argument("name")
@_catalog_options
@click.option("--json", "as_json", is_flag=True, help="Print the plugin as JSON.")
def info(
    name: str, registry: str | None, index_url: str | None, index_key: Path | None, as_json: bool
) -> None:
    """Show plugin NAME: signer, certification, versions, config fields, install command."""
    from dativo_pkg.commands import info as info_command
    from dativo_pkg.commands.search import CatalogOptions

    settings = info_command.InfoSettings(name, CatalogOptions(registry, index_url, index_key))
    result = info_command.info(settings)
    if as_json:
        _print_json(result.to_json())
        return
    stdout.print(info_command.render_info(result))


# --- end search, info ---


def _interrupted(cause: BaseException | None) -> None:
    from dativo_pkg.commands import run as run_command

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
        stderr.print(f"[bold red]error:[/bold red] {escape(redact(exc.message))}", highlight=False)
        if exc.hint:
            stderr.print(f"  [bold]hint:[/bold] {escape(redact(exc.hint))}", highlight=False)
        log.debug("traceback", exc_info=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        log.debug("traceback", exc_info=True)
        stderr.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: "
            f"{escape(redact(str(exc)))}\n"
            "  this is a bug in dativo-pkg; run with -vv for the traceback and report it",
            highlight=False,
        )
        sys.exit(1)
