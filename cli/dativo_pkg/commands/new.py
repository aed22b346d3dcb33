"""``dativo-pkg new``: a plugin project from a cookiecutter template.

The templates live in ``templates/<lang>-<kind>`` at the root of the
repository (``DATIVO_TEMPLATES`` points elsewhere). They are found relative
to the installed ``dativo_pkg`` package, which works in a checkout with an
editable install (``make install``); an installed wheel does not carry them,
and then the error says to set ``DATIVO_TEMPLATES``.

From NAME (a PEP 508 project name) everything else is derived:

* the distribution name and directory: NAME normalized (PEP 503), e.g. ``acme-csv``;
* the connector (entry-point name used in job files): that name without a
  ``dativo-`` prefix, ``-`` turned into ``_``: ``acme_csv``;
* the import package: ``dativo_`` + connector, so it never shadows another
  module (a plugin called ``csv`` or ``json`` would otherwise shadow the stdlib);
* the class: ``AcmeCsvReader`` / ``AcmeCsvWriter``.

The project is rendered into a hidden temporary directory beside the target
and renamed into place only once complete, so a failure leaves nothing.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

import dativo_pkg
from dativo_pkg.errors import DativoError

__all__ = ["NewProjectError", "NewResult", "NewSettings", "new_project", "templates_dir"]

TEMPLATES_ENV = "DATIVO_TEMPLATES"

#: Template directory per (kind, language). Only these exist.
TEMPLATES: dict[tuple[str, str], str] = {
    ("reader", "python"): "python-reader",
    ("writer", "python"): "python-writer",
    ("reader", "rust"): "rust-reader",
    ("reader", "go"): "go-reader",
}

# PEP 508 names: letters, digits, '.', '_', '-'; starting and ending with a letter or digit.
_PEP508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_CONNECTOR = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_CONNECTOR = 64
_EMAIL = re.compile(r"^[^@\s\"\\]+@[^@\s\"\\]+$")
_TEMPLATE_SYNTAX = ("{{", "}}", "{%", "%}", "{#", "#}")

Prompt = Callable[[str, str], str]


class NewProjectError(DativoError):
    """``dativo-pkg new`` cannot make the project asked for (name, place or template)."""

    exit_code = 2


@dataclass(frozen=True)
class NewSettings:
    kind: str
    language: str
    name: str
    output_dir: Path
    #: Asks for author, email and description (label, default -> answer); None: defaults.
    prompt: Prompt | None = None


@dataclass(frozen=True)
class NewResult:
    path: Path
    template: str
    kind: str
    language: str
    project_slug: str
    connector: str
    package_name: str
    #: None for templates without a plugin class of their own (go: an executable).
    class_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def templates_dir() -> Path:
    """Where the templates are: $DATIVO_TEMPLATES, else ``templates/`` of the checkout."""
    override = os.environ.get(TEMPLATES_ENV)
    path = (
        Path(override) if override else Path(dativo_pkg.__file__).resolve().parents[2] / "templates"
    )
    if not path.is_dir():
        raise NewProjectError(
            f"the plugin templates are not at {path}",
            hint=f"run dativo-pkg from a checkout of the plugin hub (`make install`), or set "
            f"{TEMPLATES_ENV} to its templates/ directory",
        )
    return path


def derive_names(name: str, kind: str) -> dict[str, str]:
    """project_slug, connector, package_name and class_name for NAME; NewProjectError if bad."""
    if not _PEP508_NAME.match(name):
        raise NewProjectError(
            f"{name!r} is not a valid project name",
            hint="use letters, digits, '-', '_' and '.', starting and ending with a letter "
            "or digit (PEP 508), e.g. acme-csv",
        )
    slug = str(canonicalize_name(name))
    bare = slug.removeprefix("dativo-") if slug != "dativo" else slug
    connector = re.sub(r"[-.]", "_", bare)
    if not _CONNECTOR.match(connector) or len(connector) > _MAX_CONNECTOR:
        raise NewProjectError(
            f"{name!r} does not make a valid connector name ({connector!r})",
            hint=f"the connector (the name without 'dativo-', '-' as '_') must start with a "
            f"letter and be at most {_MAX_CONNECTOR} characters, e.g. acme-csv",
        )
    builtin = _builtin_connectors(kind)
    if connector in builtin:
        raise NewProjectError(
            f"connector {connector!r} would clash with the built-in {kind} of that name",
            hint=f"choose another name, e.g. acme-{connector} (built-in {kind}s: "
            f"{', '.join(sorted(builtin))})",
        )
    words = connector.split("_")
    return {
        "project_name": name,
        "project_slug": slug,
        "connector": connector,
        "package_name": f"dativo_{connector}",
        "class_name": "".join(w.capitalize() for w in words if w) + kind.capitalize(),
    }


def new_project(settings: NewSettings) -> NewResult:
    """Render the template for ``settings`` into ``output_dir/<project_slug>``."""
    template_name = TEMPLATES.get((settings.kind, settings.language))
    if template_name is None:
        known = ", ".join(f"{kind} --lang {lang}" for kind, lang in TEMPLATES)
        raise NewProjectError(
            f"there is no template for a {settings.language} {settings.kind}",
            hint=f"the templates are: {known}",
        )
    names = derive_names(settings.name, settings.kind)
    template = templates_dir() / template_name
    template_vars = _template_variables(template)
    output_dir = settings.output_dir
    if not output_dir.is_dir():
        raise NewProjectError(
            f"output directory {output_dir} does not exist",
            hint="create it first, or pass an existing one with --output-dir",
        )
    target = output_dir.absolute() / names["project_slug"]
    _refuse_existing(target)
    context = {
        **names,
        **_ask_people_questions(settings, template_vars),
        "dativo_pkg_requirement": f"dativo-pkg>={_minor_version()}",
    }
    extra = {key: value for key, value in context.items() if key in template_vars}
    _render(template, extra, target)
    return NewResult(
        path=target,
        template=template_name,
        kind=settings.kind,
        language=settings.language,
        project_slug=names["project_slug"],
        connector=names["connector"],
        package_name=names["package_name"],
        class_name=names["class_name"] if "class_name" in template_vars else None,
    )


def _refuse_existing(target: Path) -> None:
    if target.exists() or target.is_symlink():
        raise NewProjectError(
            f"{target} already exists",
            hint="choose another name or --output-dir, or remove the directory first",
        )


def _render(template: Path, extra: dict[str, str], target: Path) -> None:
    from cookiecutter.exceptions import (  # type: ignore[import-untyped]
        CookiecutterException,
    )
    from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]
    from jinja2 import TemplateError

    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as exc:
        raise NewProjectError(
            f"cannot create the project in {target.parent}: {exc.strerror or exc}",
            hint="choose a directory you can write to with --output-dir",
        ) from exc
    try:
        # A config of our own keeps cookiecutter's replay files out of the user's home.
        config = staging / "cookiecutter-config.yaml"
        config.write_text(
            f"replay_dir: {json.dumps(str(staging / 'replay'))}\n"
            f"cookiecutters_dir: {json.dumps(str(staging / 'cookiecutters'))}\n",
            encoding="utf-8",
        )
        out = staging / "out"
        try:
            rendered = Path(
                cookiecutter(
                    str(template),
                    no_input=True,
                    extra_context=extra,
                    output_dir=str(out),
                    config_file=str(config),
                    overwrite_if_exists=False,
                )
            )
        except (CookiecutterException, TemplateError, OSError) as exc:
            raise NewProjectError(
                f"template {template.name} failed to render: {type(exc).__name__}: {exc}",
                hint="this is a bug in the template; report it with the command you ran",
            ) from exc
        _refuse_existing(target)
        try:
            os.rename(rendered, target)
        except OSError as exc:
            raise NewProjectError(
                f"cannot move the project into place at {target}: {exc.strerror or exc}",
                hint="check that nothing else is creating that directory, then try again",
            ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _template_variables(template: Path) -> dict[str, Any]:
    try:
        data = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise NewProjectError(
            f"template {template} is unusable: {exc}",
            hint="check that the templates directory is complete (DATIVO_TEMPLATES)",
        ) from exc
    if not isinstance(data, dict):
        raise NewProjectError(
            f"template {template}: cookiecutter.json is not an object",
            hint="fix the template's cookiecutter.json",
        )
    return data


def _ask_people_questions(settings: NewSettings, template_vars: dict[str, Any]) -> dict[str, str]:
    """Author, email and description: prompted when a prompt is given, else defaults."""
    user = getpass.getuser()
    default_description = template_vars.get("description")
    if not isinstance(default_description, str) or "{" in default_description:
        default_description = f"A Dativo {settings.kind}"
    defaults = {
        "author": _git_config("user.name") or user,
        "email": _git_config("user.email") or f"{user}@example.com",
        "description": default_description,
    }
    answers = {
        key: settings.prompt(key, default).strip() if settings.prompt else default
        for key, default in defaults.items()
    }
    for key, value in answers.items():
        _check_free_text(key, value)
    if not _EMAIL.match(answers["email"]):
        raise NewProjectError(
            f"{answers['email']!r} is not an email address", hint="give one like jane@example.com"
        )
    return answers


def _check_free_text(key: str, value: str) -> None:
    bad = (
        not value
        or any(ch in value for ch in '"\\\n\r\t')
        or any(token in value for token in _TEMPLATE_SYNTAX)
    )
    if bad:
        raise NewProjectError(
            f"the {key} {value!r} cannot go into the project files",
            hint=f"give a non-empty {key} on one line, without double quotes, backslashes "
            "or template braces",
        )


def _git_config(key: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = subprocess.run(
            [git, "config", "--get", key], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def _builtin_connectors(kind: str) -> set[str]:
    """Connector names of the built-in plugins of ``kind`` (from dativo-pkg's own manifest)."""
    from dativo_pkg.manifest import MANIFEST_FILENAME, load_manifest

    manifest = load_manifest(Path(dativo_pkg.__file__).parent / MANIFEST_FILENAME)
    return {spec.connector for spec in manifest.plugins if spec.kind == kind}


def _minor_version() -> str:
    """This dativo-pkg's release series (``0.1``), the floor new projects require."""
    parts = dativo_pkg.__version__.split(".")
    return ".".join(parts[:2])
