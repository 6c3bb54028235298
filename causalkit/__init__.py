"""causalkit: statistical and causal inference methods from recent papers, with a scikit-learn interface.

The public estimators are re-exported here lazily: ``causalkit.IVLRegression`` imports ``causalkit.iv`` on first
use, so ``import causalkit`` needs only the core dependencies and never imports torch or cvxpy. A name whose
family needs a missing optional dependency raises an ImportError that names the extra to install.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Method families, in the order their public names are looked up. Each exposes ``__all__``.
_FAMILIES = (
    "debias",
    "iv",
    "compositional",
    "deconfound",
    "rep4ex",
    "network",
    "graphs",
    "solvers",
    "datasets",
)


_SUBMODULES = frozenset({*_FAMILIES, "cli", "exceptions"})


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(name)
    if name in _SUBMODULES:
        # ``from causalkit import cli`` asks for the attribute before importing the submodule: import just that
        # one, not every family in search of a public name called "cli"
        return importlib.import_module(f"{__name__}.{name}")
    import_errors = []
    for fam in _FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{fam}")
        except ImportError as exc:
            import_errors.append(exc)
            continue
        if name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            globals()[name] = value
            return value
    if import_errors:
        raise AttributeError(
            f"module 'causalkit' has no attribute {name!r} (some optional parts could not be imported: "
            f"{'; '.join(str(e) for e in import_errors)})"
        )
    raise AttributeError(f"module 'causalkit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_FAMILIES))
