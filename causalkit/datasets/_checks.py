"""Size checks shared by the simulators: refuse data that cannot fit in memory with an error naming the sizes."""

from __future__ import annotations

from ..graphs._graph import _physical_memory


def check_output_size(n_values: float, names: str) -> None:
    """ValueError naming ``names`` when ``n_values`` float64 values (the simulated output alone) exceed memory.

    A simulator calls this before drawing anything, so an absurd sample size is a clear error instead of a
    ``MemoryError`` (or the out-of-memory killer) half-way through.

    Examples
    --------
    >>> check_output_size(1e6, "n_samples")
    >>> check_output_size(1e15, "n_samples")
    Traceback (most recent call last):
    ...
    ValueError: n_samples: the simulated data would hold about 1e+15 values ...
    """
    mem = _physical_memory()
    need = 8.0 * float(n_values)
    if mem is not None and need > mem:
        raise ValueError(
            f"{names}: the simulated data would hold about {float(n_values):.3g} values "
            f"({need / 2**30:.3g} GiB), more than this machine's {mem / 2**30:.3g} GiB of memory."
        )
