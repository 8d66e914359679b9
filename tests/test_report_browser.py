"""report.html in a real browser: headless Chromium (Debian's `chromium`, installed by
.ci/run) loads the page that `ganzoo eval` wrote, every embedded image decodes, the tables
are there, and the screenshot is a page with pictures, not a blank one.

Skips, saying why, when no Chromium is installed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo.cli import main

BROWSERS = ("chromium", "chromium-browser")
WINDOW = (1200, 2000)


def find_chromium() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(binary: str, profile: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Headless Chromium, isolated (its own profile, no network chatter), killed as a whole
    process group when it hangs: Chromium starts helpers that outlive a plain kill."""
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {timeout}s: {' '.join(command)}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium chromium-driver; .ci/run does it)")
    return binary


@pytest.fixture(scope="module")
def report_page(mnist_root, tmp_path_factory) -> Path:
    """`ganzoo eval` of a tiny GAN and a tiny CGAN (5 batches each) into one page."""
    base = tmp_path_factory.mktemp("browser")
    runs = [ganzoo.train(model, "mnist", out=base / model, data_root=str(mnist_root), epochs=1, limit_batches=5,
                         device="cpu").run_dir for model in ("gan", "cgan")]
    previous = os.environ.get("GANZOO_CACHE_DIR")
    os.environ["GANZOO_CACHE_DIR"] = str(base / "cache")
    try:
        with pytest.raises(SystemExit) as caught:
            main(["eval", *map(str, runs), "--n", "200", "--device", "cpu", "--out", str(base / "eval")])
    finally:
        if previous is None:
            os.environ.pop("GANZOO_CACHE_DIR", None)
        else:
            os.environ["GANZOO_CACHE_DIR"] = previous
    assert caught.value.code == 0
    return base / "eval" / "report.html"


def test_report_html_renders_in_chromium(chromium, report_page, tmp_path):
    pytest.importorskip("matplotlib")  # with it: the precision-recall plot, each run's grid and curves, cgan's class FIDs
    url = report_page.resolve().as_uri()

    dom = run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    # the page's own load handler counted the <img> elements that decoded to real pixels
    marker = re.search(r'data-images-decoded="(\d+)/(\d+)"', page)
    assert marker, "the page's load script did not run:\n" + page[:500]
    decoded, total = map(int, marker.groups())
    assert total == 6 and decoded == total, marker.group(0)  # PR plot, 2 x (grid, curves), per-class FID chart
    assert '<table id="metrics">' in page and '<table id="meanings">' in page
    for text in ("FID", "KID", "classes covered", "conditional accuracy", "gan, mnist, epoch 1", "cgan, mnist, epoch 1"):
        assert text in page, text
    results = json.loads((report_page.parent / "metrics.json").read_text())["runs"]
    assert f"{results[1]['metrics']['fid']:.4g}" in page  # the numbers of metrics.json

    shot = tmp_path / "report.png"
    run = run_chromium(chromium, tmp_path / "profile-shot", f"--screenshot={shot}",
                       f"--window-size={WINDOW[0]},{WINDOW[1]}", url)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    keep = os.environ.get("GANZOO_KEEP_SCREENSHOT")
    if keep:  # to look at it: GANZOO_KEEP_SCREENSHOT=/tmp/report.png python -m pytest tests/test_report_browser.py
        shutil.copyfile(shot, keep)
    with Image.open(shot) as image:
        assert image.size == WINDOW
        grey = np.asarray(image.convert("L"), dtype=np.float64)
    # A blank or error page is nearly one colour, and this page with its images broken is
    # mostly white (measured: 5% of pixels darker than light grey, variance 1300). With
    # its two sample grids (each a 480-pixel square with black padding) and two plots,
    # about a quarter of the pixels are darker (24%, variance 4300-9200, trained or not).
    assert grey.var() > 2500, grey.var()
    inked = grey < 200
    assert inked.mean() > 0.15, inked.mean()
    # the runs are side by side: both halves of the window hold a grid
    assert inked[:, : WINDOW[0] // 2].mean() > 0.12 and inked[:, WINDOW[0] // 2 :].mean() > 0.12


def test_report_html_loads_nothing_from_outside(report_page):
    page = report_page.read_text()
    assert "Content-Security-Policy" in page and "default-src 'none'" in html.unescape(page)
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources), sources
    assert not re.search(r"url\(|@import|https?://", page.split("<body>")[0])
