"""A real browser on Flower: headless Debian Chromium, driven by Playwright (no browser download), logs in
with basic auth and screenshots the workers and tasks pages into artifacts/deploy/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import require_program
from tests.deploy.conftest import ARTIFACTS, JOB_TASKS, FlowerCluster

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def browser() -> Iterator[Browser]:
    require_program(CHROMIUM, "apt-get install -y chromium chromium-driver")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def screenshot(page: Page, name: str, capsys: pytest.CaptureFixture[str]) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    with capsys.disabled():
        print(f"\nscreenshot: {path}")
    return path


def test_browser_logs_in_and_sees_workers_and_tasks(flower_cluster: FlowerCluster, browser: Browser,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Chromium with basic auth: the workers page shows 2+ workers online, the tasks page the job's tasks."""
    # Without credentials the browser is refused (a page load would stop at the auth prompt).
    anonymous = browser.new_context()
    assert anonymous.request.get(flower_cluster.url + "/workers").status == 401
    anonymous.close()

    user, password = flower_cluster.auth
    context = browser.new_context(http_credentials={"username": user, "password": password},
                                  viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(flower_cluster.url + "/workers")
    table = page.locator("#workers-table")
    for name in flower_cluster.worker_names:
        expect(table).to_contain_text(name, timeout=20_000)
    rows = table.locator("tbody tr").filter(has_text="Online")
    expect(rows).to_have_count(len(flower_cluster.worker_names), timeout=20_000)
    assert len(flower_cluster.worker_names) >= 2
    workers_png = screenshot(page, "flower-workers.png", capsys)

    page.goto(flower_cluster.url + "/tasks")
    tasks = page.locator("#tasks-table")
    for name in sorted(JOB_TASKS):
        expect(tasks).to_contain_text(name, timeout=20_000)
    expect(tasks).to_contain_text("SUCCESS")
    tasks_png = screenshot(page, "flower-tasks.png", capsys)
    context.close()
    for png in (workers_png, tasks_png):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert shutil.which("chromium") or CHROMIUM.exists()
