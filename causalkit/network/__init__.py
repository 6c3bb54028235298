"""Node-level treatment effects on graphs: the Graph R-learner and its baselines.

Needs the ``graph`` extra (torch, torch-geometric). Assumes no interference: a node's outcome depends on its
own treatment only (effects may depend on neighbours' features). For spillover/peer effects use
exposure-mapping methods.

Every learner is an effect estimator, ``fit(Y, T, *, X, edge_index, groups=None, sample_weight=None)``, with
``effect(X=None, *, edge_index=None)`` and ``ate()``; the R-learners also report their inference through
``inference_``, ``summary(*, alpha=0.05)``, ``conf_int(*, alpha=0.05)`` and ``ate_interval(*, alpha=0.05)``.
The names are imported from their submodules on first use (:func:`causalkit._base.lazy.lazy_exports`), so
``import causalkit.network`` (and the CLI) stays light.
"""

from .._base.lazy import lazy_exports

_EXPORTS = {
    "BlindRLearner": "._rlearner",
    "GraphFeatureRLearner": "._feature",
    "GraphRLearner": "._rlearner",
    "GraphSLearner": "._metalearners",
    "GraphTLearner": "._metalearners",
    "hub_periphery_report": "._report",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
