"""The Dagster UI on this code location, in headless Chromium: the asset groups (layers)
and the asset checks render. Screenshots are kept in artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import artifacts_dir, chromium_page, free_port
from tests.warehouse import PROJECT_ROOT

LOCATION_STATUS = (
    '{"query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus '
    'locationOrLoadError { __typename ... on PythonError { message } } } } } }"}'
)


def _location_entries(base: str) -> list[dict]:
    request = urllib.request.Request(
        f"{base}/graphql", data=LOCATION_STATUS.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["workspaceOrError"]["locationEntries"]


def _wait_until_loaded(base: str, server: subprocess.Popen, timeout: float = 240) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dagster dev exited with {server.returncode}")
        try:
            entries = _location_entries(base)
            if entries and entries[0]["loadStatus"] == "LOADED":
                return entries[0]
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"the code location did not load within {timeout} s")


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("dagster_ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(root / "warehouse"),
        "LANDING_DIR": str(root / "landing"),
    }
    log = (root / "dagster_dev.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "dev",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        entry = _wait_until_loaded(base, server)
        yield base, entry
    finally:
        server.terminate()  # dagster dev stops its webserver, daemon and code server
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


def test_the_code_location_loads_in_dagster_dev(dagster_ui):
    _, entry = dagster_ui
    assert entry["name"] == "siyu_warehouse"
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry


def test_the_asset_graph_shows_every_layer(dagster_ui):
    base, _ = dagster_ui
    with chromium_page() as (page, errors):
        page.goto(f"{base}/asset-groups", wait_until="networkidle")
        skip = page.get_by_role("button", name="Skip")  # the first-visit community dialog
        if skip.count():
            skip.first.click()
        for group in ("bronze", "staging", "identity", "marts", "serving"):
            page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts_dir() / "dagster-asset-graph.png"), full_page=True)
    assert not [e for e in errors if "page error" in e], errors


def test_the_checks_of_a_bronze_asset_and_a_mart_render(dagster_ui):
    base, _ = dagster_ui
    with chromium_page() as (page, errors):
        page.goto(f"{base}/assets/bronze/tmall_orders?view=checks", wait_until="networkidle")
        page.get_by_text("expectations", exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts_dir() / "dagster-bronze-checks.png"), full_page=True)
        page.goto(f"{base}/assets/marts/fct_orders?view=checks", wait_until="networkidle")
        page.get_by_text("unique_fct_orders_order_key", exact=False).first.wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts_dir() / "dagster-mart-checks.png"), full_page=True)
    assert not [e for e in errors if "page error" in e], errors
