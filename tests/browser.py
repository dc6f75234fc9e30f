"""Headless Chromium for browser tests: Debian's chromium (installed by .ci/run), driven by Playwright.

Playwright's own browser download does not work here (no network beyond package
registries), so the system browser is launched with the flags this closed network needs.
"""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

from tests.warehouse import PROJECT_ROOT

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def artifacts_dir() -> Path:
    """Screenshots kept by browser tests (CI can upload this folder)."""
    path = Path(os.environ.get("SIYU_TEST_ARTIFACTS") or PROJECT_ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("browser tests need Debian's chromium: apt-get install -y chromium (.ci/run does)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chromium_page(width: int = 1600, height: int = 1000):
    """A page in a fresh headless Chromium; yields (page, errors) with every console error and page error."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
            )
            yield page, errors
        finally:
            browser.close()
