"""causalkit.solvers: certified Lipschitz bounds of neural networks by semidefinite programming.

LipSDP (Fazlyab et al., NeurIPS 2019) and its extension to MaxMin / GroupSort / Householder activations (Pauli et
al., ICLR 2024), with exact size reductions, chordal decomposition, a solver fallback chain and mandatory
certification of every reported bound.

- :func:`lipschitz_bound` and its estimator form :class:`LipschitzEstimator` (``LipschitzEstimator(activation,
  *, method=..., ...).fit(X)``, ``X`` the network; the certificate is ``result_``, a :class:`LipschitzResult`).
- :class:`Residual` blocks and :class:`Implicit` (DEQ) layers for weight lists; torch activation modules
  :class:`MaxMin`, :class:`GroupSort`, :class:`Householder` and :class:`ResidualBlock` (:mod:`causalkit.solvers.nn`).
- Lower bounds to check a certificate against: :func:`sampled_lower_bound`, :func:`pattern_bound`.

The names are imported from their submodules on first use (:func:`causalkit._base.lazy.lazy_exports`), so
``import causalkit.solvers`` (and the CLI) stays light: cvxpy is imported only when a bound is solved (extra
``[sdp]``); torch only for torch models and the activation modules (extra ``[graph]``).
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "GroupSort": ".nn",
    "Householder": ".nn",
    "Implicit": "._network",
    "LipschitzEstimator": "._lipschitz",
    "LipschitzResult": "._lipschitz",
    "MaxMin": ".nn",
    "Residual": "._network",
    "ResidualBlock": ".nn",
    "installed_solvers": "._sdp",
    "lipschitz_bound": "._lipschitz",
    "pattern_bound": "._lower",
    "sampled_lower_bound": "._lower",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
