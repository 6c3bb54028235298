"""Look at the built site in a real browser: screenshot three pages and fail on a blank one (``make docs-check``).

Serves ``docs/_build/html`` on a loopback port, opens the index, one API page and one gallery page in headless
Chromium (Debian's ``chromium`` package), saves a PNG of each under ``docs/_build/screens/`` and checks that

- the page rendered text (the DOM Chromium dumps has a ``<main>`` with at least ``MIN_TEXT`` characters of text,
  so a page whose theme or scripts failed to load, or a 404, does not pass), and
- the screenshot is not blank: at least ``MIN_INK`` of its pixels differ from the page's background colour.

Run it after ``make docs``. Exit status 0 when every page passes, 1 otherwise (one line per failing page), 2 when
the site or Chromium is missing.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

MIN_TEXT = 200  # characters of visible text inside <main>
MIN_INK = 0.02  # share of pixels that differ from the background
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1000",
]


class _MainText(html.parser.HTMLParser):
    """Collects the visible text inside ``<main>`` (scripts and styles skipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        elif tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "main" and self.depth:
            self.depth -= 1
        elif tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def _pages(site: Path) -> dict[str, str]:
    """The three pages looked at: the index, one estimator's API page, the first gallery example."""
    api = sorted((site / "api").rglob("causalkit.iv.KClassRegression.html")) or sorted(
        (site / "api").rglob("causalkit.*.html")
    )
    gallery = sorted(p for p in (site / "gallery").glob("*.html") if p.name != "index.html")
    pages = {"index": "index.html"}
    if api:
        pages["api"] = api[0].relative_to(site).as_posix()
    if gallery:
        pages["gallery"] = gallery[0].relative_to(site).as_posix()
    return pages


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def _ink(png: Path) -> float:
    """Share of pixels that differ from the most common colour (the background)."""
    from matplotlib import image

    img = image.imread(png)[..., :3]
    flat = np.round(img.reshape(-1, 3) * 255).astype(np.int32)
    keys = flat[:, 0] * 65536 + flat[:, 1] * 256 + flat[:, 2]
    _, counts = np.unique(keys, return_counts=True)
    return float(1.0 - counts.max() / keys.size)


def _chromium(browser: str, url: str, profile: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def check(site: Path, out: Path, browser: str) -> list[str]:
    """Screenshot each page into ``out``; return one problem line per failing page."""
    out.mkdir(parents=True, exist_ok=True)
    server, port = _serve(site)
    problems = []
    try:
        for name, rel in _pages(site).items():
            url = f"http://127.0.0.1:{port}/{rel}"
            png = out / f"{name}.png"
            with tempfile.TemporaryDirectory() as profile:
                dom = _chromium(browser, url, profile, "--dump-dom")
                shot = _chromium(browser, url, profile, f"--screenshot={png}")
            parser = _MainText()
            parser.feed(dom.stdout)
            text = parser.text
            ink = _ink(png) if png.exists() else 0.0
            print(f"{name}: {rel} -> {png} ({len(text)} characters of text, {ink:.1%} ink)")
            if not png.exists():
                problems.append(f"{rel}: no screenshot ({shot.stderr.strip().splitlines()[-1:]})")
            elif len(text) < MIN_TEXT:
                problems.append(
                    f"{rel}: only {len(text)} characters of text in <main> (need {MIN_TEXT})"
                )
            elif ink < MIN_INK:
                problems.append(
                    f"{rel}: blank screenshot ({ink:.2%} of pixels differ from the background)"
                )
        if "api" not in _pages(site) or "gallery" not in _pages(site):
            problems.append("the site has no API page or no gallery page to look at")
    finally:
        server.shutdown()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="docs/_build/html", type=Path)
    parser.add_argument("--out", default="docs/_build/screens", type=Path)
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(
            f"check_screens: {args.site}/index.html not found: run `make docs` first",
            file=sys.stderr,
        )
        return 2
    if not Path(args.browser).is_file():
        print(
            f"check_screens: no browser at {args.browser}: `apt-get install chromium` (Debian) or pass --browser",
            file=sys.stderr,
        )
        return 2
    problems = check(args.site, args.out, args.browser)
    for line in problems:
        print(f"check_screens: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
