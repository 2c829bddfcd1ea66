"""A browser dashboard for escalation: scenarios, comparisons, one world day by day, forecasts.

:func:`serve` runs the Solara app in :mod:`escalation.dashboard.app` on this machine. The
page loads its scripts and styles from the Solara server itself (the assets proxy reads
them from the ``solara-assets`` package), so it works without a network. Needs the
optional ``dashboard`` extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
import webbrowser

try:
    import solara  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "the dashboard needs the optional 'dashboard' extra: pip install \"escalation[dashboard]\""
    ) from exc

APP = "escalation.dashboard.app"
#: Solara serves its front-end assets itself and sends no usage statistics: no network needed.
ENVIRONMENT = {"SOLARA_ASSETS_PROXY": "true", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false"}


def command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The ``solara run`` command line that serves the dashboard."""
    return [
        sys.executable, "-m", "solara", "run", APP,
        "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version",
    ]  # fmt: skip


def environment() -> dict[str, str]:
    """This process's environment with the settings that keep Solara offline."""
    return {**os.environ, **ENVIRONMENT}


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> int:
    """Serve the dashboard at ``http://host:port`` until interrupted; returns Solara's exit code."""
    process = subprocess.Popen(command(host, port), env=environment())
    if open_browser:
        webbrowser.open(f"http://{host}:{port}/")
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
