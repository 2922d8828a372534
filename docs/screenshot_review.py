"""Check the Review and teach tab in a real JupyterLab, in headless Chromium, and screenshot it.

    python docs/screenshot_review.py [--chromium /usr/bin/chromium] [--out docs/figures]

Needs ``pip install playwright jupyterlab`` and a Chromium (``apt install chromium``, or
``playwright install chromium``). It starts JupyterLab on a scratch folder holding the example
images and one doubtful image, opens a notebook that shows the reader app, and then does what a
teacher does, with the mouse and the keyboard: opens the Review tab, reads the folder, types
the right number into the first (flagged) reading and presses Enter, accepts the next one with
Enter, saves, and teaches for one epoch. It checks what the page shows and what the CSV holds,
and writes ``jupyterlab_review.png`` and ``jupyterlab_teach.png``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK = {
    "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": ["from mnistreader.widgets import ReaderApp\n",
                          "app = ReaderApp(csv_path='reviewed.csv')\n",
                          "app.widget.selected_index = 2\n", "app"]}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5}


def _scratch(folder: Path) -> None:
    """The notebook, the examples and one doubtful image (a number written twice, shifted)."""
    scans = folder / "scans"
    scans.mkdir()
    for example in sorted((ROOT / "examples").glob("*.png")):
        shutil.copy(example, scans / example.name)
    image = cv2.imread(str(ROOT / "examples" / "59014.png"), cv2.IMREAD_GRAYSCALE)
    shifted = np.full_like(image, 255)
    shifted[10:, 15:] = image[:-10, :-15]
    cv2.imwrite(str(scans / "ghost.png"), np.minimum(image, shifted))
    (folder / "review.ipynb").write_text(json.dumps(NOTEBOOK))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 60) -> None:
    """Wait until JupyterLab answers on ``port``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not start on port {port}")


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _scratch(folder)
        port = _free_port()
        lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser",
                                f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
                                "--ServerApp.disable_check_xsrf=True", "--allow-root",
                                f"--notebook-dir={folder}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium)
                page = browser.new_page(viewport={"width": 1200, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/lab/tree/review.ipynb")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
                time.sleep(3)
                page.locator(".jp-Notebook .jp-Cell").first.click()
                page.keyboard.press("Shift+Enter")
                tab = page.get_by_text("3. Review and teach")
                tab.wait_for(timeout=120_000)
                tab.click()
                page.get_by_placeholder("folder of images or PDFs").fill(str(folder / "scans"))
                page.get_by_placeholder("folder of images or PDFs").press("Enter")
                page.get_by_role("button", name="Read all").click()
                expect(page.get_by_text("to review").first).to_be_visible(timeout=120_000)
                boxes = page.locator(".widget-gridbox .widget-text input")
                expect(boxes.first).to_be_visible()
                first = boxes.first.input_value()
                boxes.first.fill("59014")
                boxes.first.press("Enter")  # accept the correction ...
                time.sleep(1)
                page.keyboard.press("Enter")  # ... the focus moved on: accept the next as read
                time.sleep(1)
                page.get_by_role("button", name="Save", exact=True).click()
                expect(page.get_by_text("appended")).to_be_visible(timeout=30_000)
                news = page.get_by_role("button", name="No", exact=True)
                if news.count():
                    news.first.click()  # the "Jupyter news" question
                page.get_by_text("to review").first.scroll_into_view_if_needed()
                page.screenshot(path=str(args.out / "jupyterlab_review.png"), full_page=False)
                rows = list(csv.reader((folder / "reviewed.csv").open()))
                status = {Path(row[0]).name: row for row in rows[1:]}
                ghost = status["ghost.png"]
                assert ghost[1] == "59014" and ghost[3] == ("checked" if first == "59014"
                                                            else "corrected"), ghost
                assert sum(row[3] in ("checked", "corrected") for row in rows[1:]) == 2, rows
                page.get_by_role("slider").last.focus()
                page.get_by_role("button", name="Teach").click()
                expect(page.get_by_text("after.")).to_be_visible(timeout=300_000)
                page.get_by_text("after.").scroll_into_view_if_needed()
                page.screenshot(path=str(args.out / "jupyterlab_teach.png"), full_page=False)
                browser.close()
            print(f"checked in JupyterLab: first reading {first!r} corrected and saved as "
                  f"{ghost[3]}; rows {len(rows) - 1}; taught; screenshots in {args.out}")
        finally:
            lab.terminate()
            lab.wait(timeout=30)


if __name__ == "__main__":
    main()
