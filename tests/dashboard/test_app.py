"""The dashboard in a real browser: served on localhost, driven by headless Chromium.

Runs an ensemble from the Scenario page and waits for its figure, steps one world on the
Step page and resets it, and checks that the page fetched everything from the local
server and nothing failed. With ``ESCALATION_SCREENSHOTS=1`` it also saves the
screenshots shown in the docs. Skipped only when solara, playwright or Debian's chromium
is missing (the ``dashboard`` extra, ``pip install playwright``, ``apt-get install
chromium``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

if os.environ.get("CI"):  # CI installs all three: a missing one is a failure, not a skip
    import solara  # noqa: F401
    from playwright import sync_api

    CHROMIUM = shutil.which("chromium")
    assert CHROMIUM, "Debian's chromium is missing: .ci/run installs it"
else:
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    CHROMIUM = shutil.which("chromium")
    pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")

from escalation import dashboard  # noqa: E402

HOST = "127.0.0.1"
FIGURES = Path(__file__).resolve().parents[2] / "docs" / "figures"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Seconds to wait for the server to answer and for an ensemble's figure (generous: 2 busy cores).
STARTUP, FIGURE = 90, 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard served on a free localhost port; its URL."""
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            dashboard.command(HOST, port), env=dashboard.environment(), stdout=out, stderr=out
        )
    url = f"http://{HOST}:{port}/"
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(server):
    """A Chromium page that records every request, failure and error response."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.requests, page.failures = [], []
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("requestfailed", lambda r: page.failures.append(f"{r.url}: {r.failure}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and page.failures.append(f"{r.url}: HTTP {r.status}"),
        )
        yield page
        browser.close()


def _screenshot(page, name: str) -> None:
    if os.environ.get("ESCALATION_SCREENSHOTS") == "1":
        FIGURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=FIGURES / name, full_page=False)


def _wait_for_figure(page) -> None:
    """Wait until a figure image (a blob: URL) has decoded to a non-empty picture."""
    page.wait_for_function(
        "() => [...document.images].some(i => i.src.startsWith('blob:') && i.naturalWidth > 0)",
        timeout=FIGURE * 1000,
    )


@pytest.mark.slow
def test_ensemble_and_step_offline(server, page):
    page.goto(server)
    page.get_by_role("button", name="Run ensemble").click()
    page.get_by_text("Running").wait_for()
    _wait_for_figure(page)
    page.get_by_text("militia_attacks").first.wait_for()  # the summary table is shown
    _screenshot(page, "dashboard_scenario.png")

    page.get_by_role("tab", name="Step").click()
    step = page.get_by_role("button", name="Step")
    step.wait_for()
    for _ in range(20):
        step.click()
    page.get_by_text("Day 20:").wait_for()
    assert page.get_by_text("Ladder rung").count() == 1
    _wait_for_figure(page)
    _screenshot(page, "dashboard_step.png")
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("press Step or play").wait_for()
    assert page.get_by_text("error").count() == 0

    hosts = {
        urlparse(u).hostname
        for u in page.requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
    }
    assert hosts == {HOST}, f"requests left this machine: {sorted(hosts)}"
    assert not page.failures, page.failures
