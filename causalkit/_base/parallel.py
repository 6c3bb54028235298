"""Task parallelism and reproducible per-task seeds.

All loops of independent work (folds, bootstrap replicates, per-output problems, seeds of a study) go through
:func:`parallel_map`, which uses joblib. Wrapping a call in ``joblib.parallel_config(backend="dask")`` therefore
spreads the work over a Dask cluster with no code change. Each task gets its own seed derived from the caller's
``random_state`` with :class:`numpy.random.SeedSequence`, so results do not depend on the backend, on ``n_jobs``
or on the order in which tasks finish.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import numpy as np
from joblib import Parallel, delayed

from .progress import progress_bar

__all__ = ["parallel_map", "root_seed", "spawn_seeds"]


def root_seed(random_state: Any) -> int:
    """Draw one integer seed from ``random_state`` (None, int, RandomState or Generator)."""
    if random_state is None:
        # a SeedSequence made without entropy draws one int from the OS
        return cast(int, np.random.SeedSequence().entropy) % (2**63)
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    raise TypeError(
        f"random_state must be None, an int, a RandomState or a Generator; got {type(random_state)}"
    )


def spawn_seeds(random_state: Any, n: int) -> list[int]:
    """``n`` independent 32-bit seeds derived from ``random_state``.

    The same ``random_state`` always yields the same list, and seed ``i`` does not depend on ``n``.

    Examples
    --------
    >>> spawn_seeds(0, 3) == spawn_seeds(0, 5)[:3]
    True
    """
    children = np.random.SeedSequence(root_seed(random_state)).spawn(n)
    return [int(c.generate_state(1)[0]) for c in children]


def parallel_map(
    func: Callable[..., Any],
    items: Iterable[Any] | Sequence[Any],
    *,
    n_jobs: int | None = None,
    verbose: bool = False,
    desc: str | None = None,
    total: int | None = None,
) -> list[Any]:
    """Apply ``func`` to each item with joblib, in order, optionally with a tqdm progress bar.

    Parameters
    ----------
    func : callable
        Called as ``func(item)``.
    items : iterable
    n_jobs : int or None
        joblib's ``n_jobs``; ``None`` means 1 unless a ``joblib.parallel_config`` context says otherwise.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    list
        Results in the order of ``items``.
    """
    items = list(items)
    total = len(items) if total is None else total
    if (n_jobs is None or n_jobs == 1) and not _has_active_backend():
        iterator = progress_bar(items, desc=desc, total=total, disable=not verbose)
        return [func(item) for item in iterator]
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    gen = parallel(delayed(_recording_warnings)(func, item) for item in items)
    outcomes = list(progress_bar(gen, desc=desc, total=total, disable=not verbose))
    _reemit_once([caught for _, caught in outcomes])
    return [result for result, _ in outcomes]


def _recording_warnings(func: Callable[..., Any], item: Any) -> tuple[Any, list[tuple[type, str]]]:
    """Run ``func(item)`` in a worker, returning its result and the warnings it raised (category, message).

    A warning raised in a worker process would otherwise be printed by each worker (20 copies for 20
    replicates); the parent re-raises each distinct one once, attributed to the user's call.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(item)
    return result, [(w.category, str(w.message)) for w in caught]


def _reemit_once(per_task: list[list[tuple[type, str]]]) -> None:
    from .validation import user_stacklevel

    seen: set[tuple[type, str]] = set()
    for caught in per_task:
        for category, message in caught:
            if (category, message) in seen:
                continue
            seen.add((category, message))
            warnings.warn(message, category, stacklevel=user_stacklevel())


def _has_active_backend() -> bool:
    """True when the user set a joblib backend (e.g. dask) through ``parallel_config``."""
    try:
        from joblib.parallel import _get_active_backend

        backend, _ = _get_active_backend()
        return type(backend).__name__ not in ("LokyBackend", "SequentialBackend")
    except Exception:  # pragma: no cover - private API changed
        return False
