"""Sphinx configuration of the causalkit site (``make docs``: warnings are errors)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_api import write_api_pages  # noqa: E402

import causalkit  # noqa: E402

project = "causalkit"
author = "the causalkit developers"
copyright = "2026, the causalkit developers"
release = version = causalkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_nb",
]

# the API pages are generated from each family's ``__all__`` (one page per public name)
write_api_pages(HERE / "api")
autosummary_generate = True
autodoc_default_options = {"members": True}  # no "Bases:" line: the bases are private mixins
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# the gallery notebooks are executed by ``docs/build_gallery.py`` before Sphinx runs (fast mode): rendered, not
# re-executed here
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md", "gallery/_work"]
templates_path = ["_templates"]

html_theme = "pydata_sphinx_theme"
html_title = f"causalkit {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []

# intersphinx needs the network (the inventories of numpy, scipy, ...); CI machines may have none, so it is on
# only when asked for (CAUSALKIT_DOCS_INTERSPHINX=1) and the links are plain text otherwise
intersphinx_mapping = {}
if os.environ.get("CAUSALKIT_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "statsmodels": ("https://www.statsmodels.org/stable", None),
        "torch": ("https://pytorch.org/docs/stable", None),
    }
nitpicky = False
suppress_warnings = ["myst.header"]
