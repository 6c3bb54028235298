"""causalkit.rep4ex: identifiable representations for intervention extrapolation.

Saengkyongam, Rosenfeld, Ravikumar, Pfister & Peters, "Identifying Representations for Intervention
Extrapolation", ICLR 2024 (arXiv 2310.04295).

- :class:`Rep4Ex`: ``fit(Y, A, *, X)``; an autoencoder with an MMR linear-invariance penalty, then the
  control-function stage on the learned code.
- :class:`ControlFunctionExtrapolator`: ``fit(Y, A, *, Z)``; the control-function stage on an observed
  representation (the oracle when ``Z`` is the true latent).

Neither reports intervals yet (no ``inference_``; see #17). The names are imported from their submodules on first
use (:func:`causalkit._base.lazy.lazy_exports`), so ``import causalkit.rep4ex`` (and the CLI) stays light; torch is
imported only when :class:`Rep4Ex` is fitted.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "ControlFunctionExtrapolator": "._control",
    "Rep4Ex": "._estimator",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
