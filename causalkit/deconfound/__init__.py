"""Reward deconfounding: remove known confounders' effect from observational rewards (DeconfoundLM-style).

After Loghmani, *Aligning Language Models with Observational Data: Opportunities and Risks from a Causal
Perspective* (arXiv 2506.00152), reconstructed as a partially linear double-ML partialling-out.

:class:`RewardDeconfounder` is an effect estimator (EconML's order): ``fit(rewards, features, *, confounders,
groups=None)``; it reports its inference through ``inference_``, ``summary(*, alpha=0.05)`` and
``conf_int(*, alpha=0.05)``. The names are imported from their submodules on first use
(:func:`causalkit._base.lazy.lazy_exports`), so ``import causalkit.deconfound`` (and the CLI) stays light.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "OverlapWarning": "..exceptions",
    "RewardDeconfounder": "._estimator",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
