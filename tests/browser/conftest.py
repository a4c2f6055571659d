"""Browser-test fixtures: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

Browsers are never downloaded (`playwright install` is never run): Chromium comes from apt, at
/usr/bin/chromium or CHROMIUM_PATH. When Chromium or axe-core is missing these tests skip with
the reason, unless BROWSER_TESTS_REQUIRED is set (as `.ci/run` does), which turns the skip
into a failure so CI can never pass without running them.
"""

import os
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

BASE_DIR = Path(__file__).resolve().parents[2]
AXE_PATH = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS_DIR = BASE_DIR / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERIOUS_IMPACTS = ("serious", "critical")
# Short enough that a missing element fails the test quickly, long enough for a cold live server.
TIMEOUT_MS = 10_000

# Playwright's sync API runs an asyncio event loop in this (the main) thread for as long as the
# session-scoped browser is open, and Django's async-safety check then refuses every ORM call
# from this thread with SynchronousOnlyOperation ("You cannot call this from an async
# context"): load_demo in a fixture, lookups in tests, pytest-django's flush after each
# transactional test, and any test that runs after the browser tests in the same session. The
# calls are ordinary synchronous code, never run inside a coroutine on that loop, so the check
# does not apply; it is switched off for the session that imports this conftest.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _browser_tests_required() -> bool:
    return os.environ.get("BROWSER_TESTS_REQUIRED", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    """Skip with the reason, or fail with it when BROWSER_TESTS_REQUIRED is set."""
    if _browser_tests_required():
        pytest.fail(f"{reason} (BROWSER_TESTS_REQUIRED is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _unavailable(f"no Chromium at {path}: apt-get install chromium, or set CHROMIUM_PATH")
    return path


@pytest.fixture(scope="session")
def axe_path() -> Path:
    if not AXE_PATH.is_file():
        _unavailable(f"axe-core not found at {AXE_PATH.relative_to(BASE_DIR)}: run npm ci")
    return AXE_PATH


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Every page a browser test visits must work under its Content-Security-Policy: a refused
    # script or style is reported on the console, and fails the test that caused it.
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    context.close()
    assert not refused, "CSP refused something:\n" + "\n".join(refused)


@pytest.fixture
def site_url(transactional_db, live_server, settings, tmp_path) -> str:
    """The live server's base URL, with the demo data committed where its thread can see it.

    transactional_db, not db: the live server answers from another thread (and, on PostgreSQL,
    another connection), which never sees rows left uncommitted in a test's transaction.
    """
    settings.MEDIA_ROOT = tmp_path  # the demo's documents are files; keep them out of the project
    call_command("load_demo", stdout=StringIO())
    return live_server.url


@pytest.fixture
def artifacts_dir() -> Path:
    """artifacts/ at the project root (git-ignored), where screenshots are kept after the run."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


def serious_axe_violations(page, axe_path: Path) -> list[dict]:
    """Run axe-core on the page as it stands; return the violations of serious or critical impact."""
    # Evaluated through DevTools, not injected as an inline <script>, which the page's CSP refuses.
    page.evaluate(axe_path.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate("axe.run()")
    return [violation for violation in results["violations"] if violation["impact"] in SERIOUS_IMPACTS]


def describe_axe_violations(violations: list[dict]) -> str:
    """One line per violation (id, impact, help) and one per offending element's selector."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        lines.extend(f"    {' > '.join(map(str, node['target']))}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.fixture
def axe(axe_path) -> Callable:
    """Call with a page: returns its serious and critical axe-core violations."""
    return lambda page: serious_axe_violations(page, axe_path)
