"""{{ cookiecutter.description }}

The writer is published under the connector name ``{{ cookiecutter.connector }}`` (entry point
group ``dativo.writers``); ``dativo-plugin.json`` beside this file is its manifest.
"""

from {{ cookiecutter.package_name }}.writer import {{ cookiecutter.class_name }}, {{ cookiecutter.class_name }}Config

__all__ = ["{{ cookiecutter.class_name }}", "{{ cookiecutter.class_name }}Config"]
__version__ = "{{ cookiecutter.version }}"
