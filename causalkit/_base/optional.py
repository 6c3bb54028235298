"""Optional dependencies and the torch helpers (device, threads).

Nothing here imports torch, cvxpy or torch-geometric at module import time: ``import causalkit`` must work with
the core install alone.
"""

from __future__ import annotations

import contextlib
import importlib
from types import ModuleType
from typing import Any

__all__ = ["optional_import", "resolve_device", "torch_threads"]

_EXTRA_OF = {
    "torch": "graph",
    "torch_geometric": "graph",
    "networkx": "graph",
    "cvxpy": "sdp",
    "matplotlib": "plot",
    "dask": "dask",
    "distributed": "dask",
}


def optional_import(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise an ImportError that names the extra to install.

    Examples
    --------
    >>> optional_import("numpy").__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = extra or _EXTRA_OF.get(top, "all")
        raise ImportError(
            f"{module} is required for this feature but is not installed. "
            f'Install it with: pip install "causalkit[{extra}]"'
        ) from exc


def resolve_device(device: Any = "cpu"):
    """Return a ``torch.device``; raise a clear error when CUDA is asked for but absent."""
    torch = optional_import("torch")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device ('cpu', 'cuda', 'cuda:0', ...)."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine."
        )
    return dev


@contextlib.contextmanager
def torch_threads(n_threads: int | None):
    """Run the block with ``torch.set_num_threads(n_threads)`` and restore the caller's setting afterwards.

    ``None`` leaves torch's thread count alone.
    """
    if n_threads is None:
        yield
        return
    torch = optional_import("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
