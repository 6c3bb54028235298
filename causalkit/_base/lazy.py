"""PEP 562 lazy exports, so that importing a package (and ``causalkit --help``) does not import its dependencies.

A package lists ``name -> submodule`` once and gets ``__getattr__``/``__dir__`` that import the submodule the first
time the name is used. Real import errors inside a submodule propagate unchanged (they are never swallowed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's ``__getattr__`` and ``__dir__`` for names served from submodules on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping of str to str
        Public name -> relative submodule (``"._ate"``) that defines it.
    namespace : dict
        The package's ``globals()``: a resolved name is cached there, so later lookups cost nothing.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("causalkit._base", {"spawn_seeds": ".parallel"}, {})
    >>> getattr_("spawn_seeds")(0, 2) == getattr_("spawn_seeds")(0, 2)
    True
    """
    exports = dict(exports)

    def __getattr__(name: str) -> Any:
        try:
            submodule = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(submodule, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
