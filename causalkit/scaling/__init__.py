"""Scale-out helpers: the Dask paths live in the families they extend (``causalkit.iv``, ``causalkit.debias``,
``causalkit.compositional``) and in ``causalkit._base`` (chunk-wise reductions, :func:`~causalkit._base.bootstrap`).
This package only holds the ``causalkit`` command's demo and ``dask-ivl`` subcommand.
"""

__all__: list[str] = []
