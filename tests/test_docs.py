"""The documentation site's own checks (#20): the link/image checker can fail, and the API pages cover every name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import causalkit

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS))

check_site = importlib.import_module("check_site")
gen_api = importlib.import_module("gen_api")

TEXT = "<p>" + "words " * 20 + "</p>"


def _page(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body><article>{TEXT}{body}</article></body></html>")


def test_check_site_passes_a_good_site_and_names_each_problem(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "fig.png").write_bytes(b"\x89PNG")
    _page(
        tmp_path / "index.html",
        '<a href="guide/a.html#sec">a</a><img src="img/fig.png"><a href="https://x.org">x</a>',
    )
    _page(tmp_path / "guide" / "a.html", '<h2 id="sec">s</h2><a href="../index.html">home</a>')
    assert check_site.check(tmp_path) == []

    _page(
        tmp_path / "guide" / "b.html",
        '<a href="missing.html">m</a><a href="a.html#nope">n</a><img src="../x.png">',
    )
    (tmp_path / "img" / "empty.png").write_bytes(b"")
    (tmp_path / "blank.html").write_text("<html><body><article></article></body></html>")
    _page(tmp_path / "c.html", '<img src="img/empty.png">')
    problems = "\n".join(check_site.check(tmp_path))
    assert "broken link missing.html" in problems
    assert "a.html#nope names a missing anchor" in problems
    assert "broken image ../x.png" in problems
    assert "empty image img/empty.png" in problems
    assert "blank.html: blank page" in problems


def test_api_pages_list_every_public_name_of_every_family(tmp_path):
    gen_api.write_api_pages(tmp_path)
    families = set(causalkit._FAMILIES) | {"exceptions"}
    assert families <= set(gen_api.FAMILIES)
    for family in families:
        page = (tmp_path / f"{family}.rst").read_text()
        module = importlib.import_module(f"causalkit.{family}")
        for name in module.__all__:
            assert f"   {name}\n" in page, f"{family}.{name} has no API page"
    index = (tmp_path / "index.rst").read_text()
    assert all(f"   {family}" in index for family in families)


def test_every_guide_page_is_in_the_toctree():
    index = (DOCS / "index.md").read_text()
    for page in (DOCS / "guide").glob("*.md"):
        assert f"guide/{page.stem}" in index, (
            f"docs/guide/{page.name} is not reachable from the index"
        )


check_screens = importlib.import_module("check_screens")


def test_check_screens_sees_blank_and_textless_pages(tmp_path):
    """`make docs-check` fails on a blank screenshot or a page without text (the checks run without a browser)."""
    import numpy as np
    from matplotlib import image

    blank = np.ones((40, 60, 3))
    image.imsave(tmp_path / "blank.png", blank)
    drawn = blank.copy()
    drawn[5:30, 10:50] = 0.2
    image.imsave(tmp_path / "drawn.png", drawn)
    assert check_screens._ink(tmp_path / "blank.png") == 0.0
    assert check_screens._ink(tmp_path / "drawn.png") > check_screens.MIN_INK

    parser = check_screens._MainText()
    parser.feed(
        "<html><script>var x = 1;</script><main><h1>Title</h1><p>some  words</p></main><p>out</p></html>"
    )
    assert parser.text == "Title some words"


def test_check_screens_picks_an_api_and_a_gallery_page(tmp_path):
    for rel in [
        "index.html",
        "api/generated/causalkit.iv.KClassRegression.html",
        "gallery/index.html",
        "gallery/a.html",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    assert check_screens._pages(tmp_path) == {
        "index": "index.html",
        "api": "api/generated/causalkit.iv.KClassRegression.html",
        "gallery": "gallery/a.html",
    }
    assert check_screens.main([str(tmp_path / "nothing")]) == 2
