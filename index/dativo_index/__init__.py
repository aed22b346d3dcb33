"""The Dativo marketplace index: what the registry's web pages and the static index show.

- :mod:`.markdown`: a README (Markdown or plain text) as sanitized HTML;
- :mod:`.charts`: the benchmark bar chart, as inline SVG;
- :mod:`.schema_table`: a plugin's config JSON Schema as table rows;
- :mod:`.pages`: the view models the templates render, and :mod:`.render` the
  Jinja2 environment over ``web/`` (templates) with ``static/`` (CSS, one
  small script) served at ``/static/``.

Nothing here touches a database: the registry (``dativo_registry.web``)
gathers the data, this package turns it into HTML.
"""

from __future__ import annotations

__all__: list[str] = []
