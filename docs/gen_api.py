"""Write the API reference sources: one page per family listing every public name of its ``__all__``."""

from __future__ import annotations

import importlib
from pathlib import Path

FAMILIES = {
    "debias": "Debiasing ML predictions (LCC, Tweedie)",
    "iv": "IV-like regression and the k-class family",
    "compositional": "Compositional partial correlations",
    "deconfound": "Reward deconfounding",
    "rep4ex": "Rep4Ex: intervention extrapolation",
    "network": "Graph R-Learner and network meta-learners",
    "solvers": "LipSDP: certified Lipschitz bounds",
    "graphs": "Graph utilities",
    "datasets": "Simulators and data sets",
    "exceptions": "Warnings and exceptions",
}


def public_names(family: str) -> list[str]:
    module = importlib.import_module(f"causalkit.{family}")
    return sorted(getattr(module, "__all__", []))


def write_api_pages(folder: Path) -> None:
    """(Re)write ``folder/index.rst`` and one ``folder/<family>.rst`` per family, only when they change."""
    folder.mkdir(exist_ok=True)
    index = [
        "API reference",
        "=============",
        "",
        "Every public name of every family, generated from the family's ``__all__``.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *[f"   {family}" for family in FAMILIES],
        "",
    ]
    _write(folder / "index.rst", "\n".join(index))
    for family, title in FAMILIES.items():
        heading = f"``causalkit.{family}``: {title}"
        lines = [
            heading,
            "=" * len(heading),
            "",
            f".. automodule:: causalkit.{family}",
            "   :no-members:",
            "",
            f".. currentmodule:: causalkit.{family}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "   :nosignatures:",
            "",
            *[f"   {name}" for name in public_names(family)],
            "",
        ]
        _write(folder / f"{family}.rst", "\n".join(lines))


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
