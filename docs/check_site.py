"""Check the built site: every internal link and image resolves, and no page is blank.

Run by ``make docs`` after Sphinx (``python docs/check_site.py docs/_build/html``); exits 1 listing every broken
link, missing image or empty page. External links (http, mailto) are not fetched (CI may have no network).
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

MIN_TEXT = 40  # characters of visible text in the article body below which a page counts as blank


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.text_chars = 0
        self._in_article = 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        if tag == "article":
            self._in_article += 1
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_article -= 1
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if self._in_article and not self._skip:
            self.text_chars += len(data.strip())


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def check(site: Path) -> list[str]:
    problems = []
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    if not pages:
        return [f"{site}: no HTML pages"]
    for path, page in pages.items():
        rel = path.relative_to(site)
        skip_blank = rel.parts[0] in ("_modules", "_static") or rel.name in (
            "search.html",
            "genindex.html",
        )
        if not skip_blank and page.text_chars < MIN_TEXT:
            problems.append(f"{rel}: blank page ({page.text_chars} characters of text)")
        for kind, refs in (("link", page.links), ("image", page.images)):
            for ref in refs:
                parsed = urlparse(ref)
                if parsed.scheme or ref.startswith("//"):
                    if parsed.scheme not in ("http", "https", "mailto", "data"):
                        problems.append(f"{rel}: {kind} with unknown scheme {ref}")
                    continue
                target_ref, anchor = urldefrag(ref)
                target = (path.parent / unquote(target_ref)).resolve() if target_ref else path
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    problems.append(f"{rel}: broken {kind} {ref}")
                    continue
                if kind == "image" and target.stat().st_size == 0:
                    problems.append(f"{rel}: empty image {ref}")
                if anchor and target.suffix == ".html":
                    ids = pages[target].ids if target in pages else _parse(target).ids
                    if anchor not in ids:
                        problems.append(f"{rel}: link {ref} names a missing anchor")
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    problems = check(site)
    for line in problems:
        print(line, file=sys.stderr)
    n_pages = len(list(site.rglob("*.html")))
    print(f"check_site: {n_pages} pages, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
