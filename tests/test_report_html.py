"""The comparison report and a sweep's summary page: self-contained HTML that loads in a real
browser; the report in plain-language text.

The browser test drives headless Chromium through chromedriver's W3C WebDriver HTTP interface
with a tiny client (the standard library's urllib; no Selenium needed). It is skipped, with the
reason, only when Chromium or chromedriver is not installed (Debian packages ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sim.configure import compose
from sim.experiment import compose_comparison, run_experiment, write_experiment
from sim.sweep import KEY_FIGURES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
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


IMAGES_JS = ("return Array.from(document.images).map(i => ({complete: i.complete, "
             "width: i.naturalWidth, height: i.naturalHeight, alt: i.alt}));")


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


# --------------------------------------------------------------------------- the sweep page
SWEPT = "mechanisms.postponement.pending_information_share"      # a1_flex's own setting
SWEEP_VALUES = ("0.1", "0.3", "0.5")


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A real three-point sweep, run as ``python -m sim -m`` runs it (so ``sweep.html`` comes
    from Hydra's end-of-sweep callback), kept cheap: small jobcenter, 60 days, two replications."""
    cwd = tmp_path_factory.mktemp("sweep")
    folder = cwd / "multirun"
    path = [str(PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}      # this checkout's sim
    run = subprocess.run(
        [sys.executable, "-m", "sim", "-m", "scenario=a1_flex", "jobcenter=small",
         "replications=2", "warmup_days=30", "horizon_days=60", "event_log=false",
         "progress=false", f"{SWEPT}={','.join(SWEEP_VALUES)}", f"hydra.sweep.dir={folder}"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return folder


LAST_ROW_JS = """return Array.from(document.images).map(i => {
  if (!i.naturalWidth || !i.naturalHeight) return null;
  const c = document.createElement('canvas');
  c.width = i.naturalWidth; c.height = i.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(i, 0, 0);
  const row = g.getImageData(0, c.height - 1, c.width, 1).data;
  let opaque = 0;
  for (let k = 3; k < row.length; k += 4) if (row[k] === 255) opaque++;
  return opaque / c.width;
});"""
"""Per image, the share of its bottom row drawn opaque (None if it did not decode): a PNG cut
short still reports its full size from its header, but its missing rows draw transparent."""

OUTSIDE_JS = """return [
  ...performance.getEntriesByType('resource').map(e => e.name),
  ...Array.from(document.querySelectorAll('[src], link[href]'))
       .map(e => e.getAttribute('src') || e.getAttribute('href'))
].filter(u => !u.startsWith('data:'));"""
"""What the page fetched, or refers to for fetching, that is not inside the file."""

TABLE_JS = ("return Array.from(document.querySelectorAll('table')).map(t => "
            "Array.from(t.tBodies).flatMap(b => Array.from(b.rows))"
            ".map(r => r.cells[0].textContent.trim()));")
"""Per table, the first cell of each body row (the sweep table's point column)."""


def assert_sweep_page_renders(browser: WebDriver, page: Path, points: list[str], swept: str,
                              chart_titles: list[str]) -> None:
    """``page`` in Chromium: no console errors, a title naming ``swept``, every ``<img>`` an
    image decoded to its last row, at least the charts ``chart_titles``, nothing from outside the
    file, and one table whose body rows are ``points``."""
    images, errors, title = load_page(browser, page)
    assert errors == [], f"console errors: {errors}"
    assert swept in title, f"the title {title!r} does not name the sweep"
    html = page.read_text(encoding="utf-8")
    assert len(images) == html.count("<img "), "an <img> tag the browser did not make an image"
    for img in images:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, f"broken image {img}"
    missing = sorted(set(chart_titles) - {img["alt"] for img in images})
    assert missing == [], f"charts missing from the page: {missing}"
    drawn = browser.script(LAST_ROW_JS)
    assert drawn == [1] * len(images), f"images not drawn to their last row: {drawn}"
    assert browser.script(OUTSIDE_JS) == [], "the page loads something from outside the file"
    assert browser.script(TABLE_JS) == [points], "the sweep table is not one row per point"


def _sweep_expectations(sweep_dir: Path) -> tuple[list[str], list[str]]:
    """The points (folder names, as sweep.csv lists them) and the titles of the charts sweep.py
    writes for a one-parameter sweep: one per key figure that sweep.csv has."""
    import pandas as pd

    table = pd.read_csv(sweep_dir / "sweep.csv")
    return list(table["point"]), [t for f, t, _ in KEY_FIGURES if f in table]


@pytest.mark.slow
def test_sweep_page_loads_in_chromium_with_every_chart_and_a_row_per_point(browser, sweep_dir):
    points, titles = _sweep_expectations(sweep_dir)
    assert points == [f"{i}_pending_information_share={v}" for i, v in enumerate(SWEEP_VALUES)]
    assert len(titles) == len(KEY_FIGURES)            # a1_flex's comparison has every key figure
    assert_sweep_page_renders(browser, sweep_dir / "sweep.html", points,
                              "pending_information_share", titles)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["unreadable", "cut short"])
def test_the_sweep_page_check_catches_one_broken_chart(browser, sweep_dir, tmp_path, damage):
    # the negative control: the real page with one chart's data spoiled must fail the check,
    # whether the browser cannot read it at all or reads its header and the first half only
    html = (sweep_dir / "sweep.html").read_text(encoding="utf-8")
    data = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)[1]
    spoiled = "AAAA" + data[200:] if damage == "unreadable" else data[:len(data) // 2]
    page = tmp_path / "sweep.html"
    page.write_text(html.replace(data, spoiled, 1), encoding="utf-8")
    points, titles = _sweep_expectations(sweep_dir)
    with pytest.raises(AssertionError, match="image"):
        assert_sweep_page_renders(browser, page, points, "pending_information_share", titles)
