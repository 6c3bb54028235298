"""Progress bars that never warn: the notebook widget only where it can be drawn.

``tqdm.auto`` warns (``TqdmWarning: IProgress not found``) when it is imported in a Jupyter kernel without
ipywidgets, so every notebook that used causalkit opened with a warning. :func:`progress_bar` picks the widget bar
only when ipywidgets is installed, and the plain text bar otherwise.
"""

from __future__ import annotations

import importlib.util
from typing import Any

__all__ = ["progress_bar"]


def _bar_class() -> type:
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


def progress_bar(iterable: Any = None, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)`` with the notebook widget when ipywidgets is installed, text otherwise."""
    return _bar_class()(iterable, **kwargs)
