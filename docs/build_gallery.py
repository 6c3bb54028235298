"""Execute every vignette (jupytext py:percent) in fast mode into ``docs/gallery/<name>.ipynb`` for the site.

Run by ``make docs`` before Sphinx. Figures are kept as outputs of the executed notebooks, so the gallery shows
exactly what a reader gets when running the vignette. ``--only NAME`` executes one vignette.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
VIGNETTES = ROOT / "vignettes"
GALLERY = Path(__file__).resolve().parent / "gallery"


def execute(path: Path, out_dir: Path, timeout: int = 900) -> Path:
    notebook = jupytext.read(path)
    os.environ["CAUSALKIT_VIGNETTE_FAST"] = "1"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    work = out_dir / "_work"
    work.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()
    target = out_dir / f"{path.stem}.ipynb"
    nbformat.write(notebook, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=None, help="execute only this vignette (file stem)")
    args = parser.parse_args(argv)
    GALLERY.mkdir(exist_ok=True)
    paths = sorted(VIGNETTES.glob("*.py"))
    if args.only:
        paths = [p for p in paths if p.stem == args.only]
    for path in paths:
        start = time.perf_counter()
        execute(path, GALLERY)
        print(
            f"gallery: {path.stem} executed in {time.perf_counter() - start:.0f} s", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
