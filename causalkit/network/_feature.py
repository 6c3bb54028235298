"""The practitioner's baseline as a first-class estimator: an R-learner on hand-made graph features (issue #16)."""

from __future__ import annotations

from typing import Any

from .._base import check_int, spawn_seeds
from ._rlearner import _RLearnerBase

__all__ = ["GraphFeatureRLearner"]


class GraphFeatureRLearner(_RLearnerBase):
    """R-learner with scikit-learn nuisances and final stage on graph features ``[X, SX, ..., S^hX, log(1+deg)]``.

    What a practitioner fits before trying a GNN, and the baseline every default of
    :class:`~causalkit.network.GraphRLearner` is measured against (``benchmarks/results/graph_rlearner.md``).
    ``S`` is the row-normalised adjacency over in-neighbours (``S X`` the mean of the neighbours' features,
    zero for isolated nodes) and ``log(1 + degree)`` the structural feature a mean aggregation cannot see.
    Nuisances are cross-fitted on these features with the same folds, clipping and AIPW ATE inference as the
    Graph R-learner (``causalkit._base`` cross-fitting engine and results layer).

    Parameters
    ----------
    model_y : sklearn regressor or None
        Outcome model; default ``HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05)``.
    model_t : sklearn classifier or None
        Propensity model (``predict_proba``); default ``HistGradientBoostingClassifier(max_iter=100,
        learning_rate=0.05)``.
    model_final : "linear" or sklearn regressor accepting ``sample_weight``, default "linear"
        ``"linear"``: ``tau = [1, F] theta`` by least squares of ``Ytilde`` on ``[1, F] * Ttilde`` (coefficients
        with HC1 or cluster-robust errors in ``summary()``). A regressor is fitted to ``Ytilde / Ttilde`` with
        weights ``Ttilde^2`` on ``F``.
    hops : int, default 2
        Highest power of ``S`` in the features.
    structural : bool, default True
        Append ``log(1 + degree)``.
    n_folds, propensity_clip, fold_strategy, random_state
        As in :class:`~causalkit.network.GraphRLearner`.

    Attributes
    ----------
    effect_, m_hat_, e_hat_, residuals_, psi_, inference_, coef_, coef_names_, nuisance_scores_
        As in :class:`~causalkit.network.GraphRLearner`.
    final_scores_ : list of dict
        Cross-validated R-loss and R-score of the final stage (and, for a regressor, of the linear one).

    Examples
    --------
    >>> from causalkit.datasets import make_network_design
    >>> d = make_network_design("ba_degree", n_nodes=400, random_state=0)
    >>> est = GraphFeatureRLearner(random_state=0).fit(
    ...     d["Y"], d["T"], X=d["X"], edge_index=d["edge_index"]
    ... )
    >>> est.effect().shape
    (400,)
    >>> "tau: log1p_degree" in est.conf_int().index
    True
    """

    _graph_aware = True

    def __init__(
        self,
        model_y: Any = None,
        *,
        model_t: Any = None,
        model_final: Any = "linear",
        hops: int = 2,
        structural: bool = True,
        n_folds: int = 2,
        propensity_clip: tuple[float, float] = (0.02, 0.98),
        fold_strategy: str = "random",
        random_state: Any = None,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.hops = hops
        self.structural = structural
        self.n_folds = n_folds
        self.propensity_clip = propensity_clip
        self.fold_strategy = fold_strategy
        self.random_state = random_state

    device = "cpu"

    def _check_params(self) -> None:
        super()._check_params()
        check_int(self.hops, "hops", low=0)
        if not isinstance(self.structural, bool):
            raise TypeError(
                f"structural must be True or False; got {type(self.structural).__name__}."
            )

    def _feature_hops_structural(self, ei) -> tuple[int, bool]:
        return int(self.hops), bool(self.structural)

    def _spec(self, name):
        spec = getattr(self, name)
        if spec is None and name in ("model_y", "model_t"):
            from sklearn.ensemble import (
                HistGradientBoostingClassifier,
                HistGradientBoostingRegressor,
            )

            seed = spawn_seeds(self.random_state, 1)[0] if self.random_state is not None else 0
            cls = (
                HistGradientBoostingRegressor
                if name == "model_y"
                else HistGradientBoostingClassifier
            )
            return cls(max_iter=100, learning_rate=0.05, random_state=seed)
        if name == "model_final" and isinstance(spec, str) and spec == "linear":
            return "graph_linear"
        if (isinstance(spec, str)) or (name != "model_final" and not hasattr(spec, "fit")):
            raise ValueError(
                f"{name} of GraphFeatureRLearner must be an sklearn estimator (or 'linear' for model_final); "
                f"got {spec!r}."
            )
        return spec

    def _describe(self, name) -> str:
        spec = self._spec(name)
        if isinstance(spec, str):
            return "linear on graph features"
        return type(spec).__name__

    def fit(
        self,
        Y: Any,
        T: Any,
        *,
        X: Any,
        edge_index: Any,
        groups: Any = None,
        sample_weight: Any = None,
    ):
        """Cross-fit the nuisances on the graph features, then the final stage on the R-loss.

        Parameters
        ----------
        Y, T, X, edge_index, groups, sample_weight
            As in :meth:`GraphRLearner.fit`.

        Returns
        -------
        self
        """
        return self._fit(X, T, Y, edge_index, groups, sample_weight)
