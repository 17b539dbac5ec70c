"""The comparison report: self-contained HTML that loads in a real browser, plain-language text.

The browser test drives headless Chromium through chromedriver's W3C WebDriver HTTP interface
with a tiny client (the standard library's urllib; no Selenium needed). It is skipped, with the
reason, only when Chromium or chromedriver is not installed (Debian packages ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them).
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sim.configure import compose
from sim.experiment import compose_comparison, run_experiment, write_experiment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    """A short a1_flex comparison (two replications) written as a run directory."""
    out = tmp_path_factory.mktemp("report")
    cfg, desc, base, base_desc = compose_comparison(
        ["scenario=a1_flex", "horizon_days=60", "warmup_days=14", "replications=2",
         "event_log=false", "progress=false"])
    exp = run_experiment(cfg, desc, base, base_desc, cache_dir=False, workers=1, log=None)
    write_experiment(out, exp)
    return out


# --------------------------------------------------------------------------- static checks
def test_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()                          # no JavaScript needed
    assert not re.search(r"(src|href)\s*=\s*\"(https?:|//)", html)  # nothing from a network
    assert "<style>" in html and "<link rel=\"stylesheet\"" not in html
    images = re.findall(r"<img [^>]*src=\"([^\"]+)\"", html)
    assert len(images) >= 5
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_markdown_and_html_report_the_same_charts(report_dir):
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert len(charts) == html.count("<img ")
    for name in charts:
        assert (report_dir / name).is_file(), name


def test_report_reads_as_plain_language(report_dir):
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    for heading in ("## In brief", "## Headline figures", "## The scenario",
                    "## How sure are we", "## About the model"):
        assert heading in md, heading
    prose = re.sub(r"`[^`]*`", "", md)                  # file names and commands are quoted
    prose = re.sub(r"\]\([^)]*\)", "]", prose)             # image file names
    raw = sorted(set(re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", prose)) - {"x86_64"})  # machine
    assert raw == [], f"variable names in the report: {raw}"
    # every number in the headline table carries a unit
    table = md.split("## Headline figures", 1)[1].split("\n\n")[2]
    for line in table.splitlines()[2:]:
        for cell in line.strip("|").split("|")[1:5]:
            cell = cell.strip()
            if cell and cell != "–":
                assert re.search(r"(DKK|FTE|talks|%|percentage points|days)", cell), line
    for item in ("Purpose", "Initialisation", "Run length", "Replications", "Random numbers",
                 "Software", "Run time"):
        assert f"| {item} |" in md, item
    assert "14 days" in md                                    # the warm-up used


def test_report_states_the_scenario_assumptions(report_dir):
    import dataclasses

    from sim.settings_diff import render

    md = (report_dir / "report.md").read_text(encoding="utf-8")
    cfg, desc = compose(["scenario=a1_flex"])
    for assumption in desc["assumptions"]:
        assert render(assumption, dataclasses.asdict(cfg)) in md


# --------------------------------------------------------------------------- the browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriver:
    """The few W3C WebDriver commands the test needs, spoken to chromedriver over HTTP."""

    def __init__(self, driver: str, binary: str, user_data_dir: str):
        self.port = _free_port()
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": binary,
                                   "args": [*CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}"]},
        }}}
        self.session = self._call("POST", "/session", caps)["value"]["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def open(self, path: Path) -> None:
        self._call("POST", f"/session/{self.session}/url", {"url": path.resolve().as_uri()})

    def script(self, js: str):
        return self._call("POST", f"/session/{self.session}/execute/sync",
                          {"script": js, "args": []})["value"]

    def console(self) -> list[dict]:
        """Browser console entries since the last call (chromedriver's log endpoint)."""
        return self._call("POST", f"/session/{self.session}/se/log", {"type": "browser"})["value"]

    def close(self) -> None:
        try:
            if getattr(self, "session", None):
                self._call("DELETE", f"/session/{self.session}")
        except (urllib.error.URLError, ConnectionError):
            pass
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def browser():
    driver = shutil.which("chromedriver")
    if not Path(CHROMIUM).exists() or driver is None:
        pytest.skip(f"headless browser test needs {CHROMIUM} and chromedriver (Debian packages "
                    "chromium and chromium-driver); not installed")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        wd = WebDriver(driver, CHROMIUM, profile)
        try:
            yield wd
        finally:
            wd.close()


IMAGES_JS = ("return Array.from(document.images).map(i => "
             "({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}));")


def load_page(browser: WebDriver, page: Path) -> tuple[list[dict], list[dict], str]:
    """Open ``page``; return its images' load state, console errors and title."""
    browser.console()                                    # forget earlier entries
    browser.open(page)
    for _ in range(50):
        if browser.script("return document.readyState;") == "complete":
            break
        time.sleep(0.1)
    images = browser.script(IMAGES_JS)
    errors = [e for e in browser.console() if e.get("level") == "SEVERE"]
    return images, errors, browser.script("return document.title;")


def test_report_loads_in_chromium_without_errors_and_shows_every_image(browser, report_dir):
    page = report_dir / "report.html"
    images, errors, title = load_page(browser, page)
    assert errors == [], errors
    assert "A1 More flexible timeliness" in title
    html = page.read_text(encoding="utf-8")
    assert len(images) == html.count("<img ") >= 5
    for img in images:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
    fetched = browser.script("return performance.getEntriesByType('resource')"
                             ".map(e => e.name).filter(n => !n.startsWith('data:'));")
    assert fetched == []                                # nothing loaded from outside the file
    tables = browser.script("return document.querySelectorAll('table').length;")
    assert tables >= 4


def test_the_browser_check_catches_a_broken_image(browser, tmp_path):
    # the negative control: a page whose image is missing must fail the checks above
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" '
                    'href="data:,"><title>broken</title></head><body>'
                    '<img src="missing.png" alt="missing"></body></html>', encoding="utf-8")
    images, errors, _ = load_page(browser, page)
    assert images and images[0]["width"] == 0
    assert errors, "a missing image should log a console error"
