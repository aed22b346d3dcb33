"""{{ cookiecutter.description }}

The reader is the program ``bin/{{ cookiecutter.project_slug }}`` beside this file, built from
the Go sources by ``dativo-pkg build``. The Dativo runtime finds it through the manifest
``dativo-plugin.json`` (language "go") and runs it; nothing here is imported to read data.
"""

from pathlib import Path

__all__ = ["EXECUTABLE"]
__version__ = "{{ cookiecutter.version }}"

#: The program the runtime starts (the entry point names it, for people and tools).
EXECUTABLE = Path(__file__).parent / "bin" / "{{ cookiecutter.project_slug }}"
