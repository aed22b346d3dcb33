"""Browser tests: Playwright driving Debian's Chromium, headless, against a real registry.

One ``dativo-registry serve`` for the session, on a free port with a fresh
data dir, filled by :mod:`browser_catalog`. Playwright's own browser builds
are never downloaded: the Python package drives ``/usr/bin/chromium``
(``apt-get install chromium``; ``.ci/run`` installs it; ``$DATIVO_CHROMIUM``
names another binary). Without Chromium or the ``playwright`` package the
tests are skipped locally, and fail under CI (``$CI`` set).

Run them alone: ``.venv/bin/pytest tests/browser``.

Every test gets a fresh browser context (1280x800, clipboard permissions
for the registry's origin) and leaves a full-page screenshot of where it
ended in ``test-artifacts/screenshots/<test>.png``, passed or failed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from browser_catalog import fill
from shared_support import load_module

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("DATIVO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
#: How long the session waits for ``/`` to serve the search page after the server is up.
PAGE_WAIT_SECONDS = 30


_registry_conftest = load_module(
    "browser_registry_conftest", ROOT / "tests" / "registry" / "conftest.py"
)
Registry: Any = _registry_conftest.Registry


def _unavailable(reason: str) -> None:
    """Skip locally; fail under CI, which must run the browser tests."""
    if os.environ.get("CI"):  # as tests/conftest.py does for PostgreSQL
        pytest.fail(f"browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, driven by Playwright: one per test module.

    Not session-wide: while Playwright's sync API is active, an asyncio loop runs
    in the main thread, and the later tests' ``asyncio.run`` would fail.
    """
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def marketplace_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a started registry holding :data:`browser_catalog.PLUGINS`."""
    directory = tmp_path_factory.mktemp("marketplace")
    registry = Registry(data_dir=directory / "data", database_url=None)
    registry.start()
    try:
        fill(registry.url, registry.data_dir, directory / "work")
        _wait_for_search_page(registry.url)
        yield registry.url
    finally:
        registry.stop()


def _wait_for_search_page(url: str) -> None:
    """The web pages are served (a registry without them fails here, with what it said)."""
    deadline = time.monotonic() + PAGE_WAIT_SECONDS
    while True:
        response = httpx.get(f"{url}/", timeout=10)
        if response.status_code == 200 and 'role="search"' in response.text:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"GET / does not serve the search page: {response.status_code}")
        time.sleep(0.5)


def _screenshot_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_") + ".png"


@pytest.fixture
def new_context(
    browser: Browser, marketplace_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Make browser contexts (Playwright's options); the last page opened is screenshotted."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(base_url=marketplace_url, **options)
        if options.get("java_script_enabled", True):
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=marketplace_url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    from playwright.sync_api import Error as PlaywrightError

    pages = [page for context in contexts for page in context.pages]
    if pages:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / _screenshot_name(request)
        partial = target.with_suffix(".png.part")
        try:
            partial.write_bytes(pages[-1].screenshot(full_page=True))
            partial.replace(target)
        except PlaywrightError as exc:  # a crashed page: the test's own outcome says why
            warnings.warn(f"no screenshot {target.name}: {exc}", stacklevel=1)
        finally:
            partial.unlink(missing_ok=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page in a fresh desktop-sized context, JavaScript on."""
    return new_context().new_page()
