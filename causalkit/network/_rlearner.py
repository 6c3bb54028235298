"""Graph R-learner (Nie–Wager R-learner with graph-aware nuisances and final stage) and its graph-blind twin."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._base import (
    EffectResult,
    check_int,
    check_n_clusters,
    crossfit_predict,
    make_folds,
    ols_inference,
    pandas_like,
    resolve_device,
    spawn_seeds,
    torch_threads,
    user_stacklevel,
)
from .._base.results import EffectMixin
from ..exceptions import CollinearityWarning, FinalStageWarning, OverlapWarning
from ..graphs._graph import connected_components, degree, neighbour_mean, to_edge_index
from ._common import (
    GNNTraining,
    Standardizer,
    bce_loss,
    check_arm_counts,
    check_fit_inputs,
    check_gnn_params,
    check_model_spec,
    check_n_threads,
    check_names,
    check_new_X,
    fit_gnn,
    graph_feature_names,
    graph_features,
    independent_columns,
    mse_loss,
    r_loss,
    set_feature_names,
    structural_columns,
)
from ._state import TorchStateMixin

__all__ = ["BlindRLearner", "GraphRLearner"]

#: ``model_final='auto'`` keeps the simplest candidate within this many paired standard errors of the best
#: held-out R-loss (chosen on the tune half of the validation suite, benchmarks/results/graph_rlearner.md).
_SELECT_SE = 1.0
#: A final stage whose cross-validated R-score is below this raises a FinalStageWarning.
_RSCORE_WARN = 0.01

_IID_WARNING = (
    "Standard errors treat nodes as independent. Under network dependence (outcomes or features correlated "
    "along edges) they are too narrow; pass groups= (e.g. connected components or communities) for "
    "cluster-robust errors."
)


def _rscore(yt: np.ndarray, tt: np.ndarray, tau: np.ndarray, w: np.ndarray) -> float:
    const = np.sum(w * tt * yt) / np.sum(w * tt**2)
    base = np.sum(w * (yt - tt * const) ** 2)
    if not base > 0:  # a constant effect fits exactly (e.g. constant Y): the score is undefined
        return float("nan")
    return float(1.0 - np.sum(w * (yt - tt * tau) ** 2) / base)


class _FitData:
    """What the stages of one fit share: the checked inputs, the graph, the folds and the model inputs."""

    def __init__(self, d=None, ei=None, folds=(), *, w=None, g=None, w_t=None, F=None):
        self.d = d  # FitInputs
        self.ei = ei  # the graph used (None for the blind learner)
        self.folds = folds  # [(train, test), ...]
        self.w = d.w if w is None and d is not None else w  # node weights, mean 1
        self.g = g  # graph tensors of the standardised X (GNN stages only)
        self.w_t = w_t  # the weights as a torch tensor (GNN stages only)
        self.F = F  # [X, SX, S^2X] without redundant columns (sklearn stages only)


# ---------------------------------------------------------------- nuisance stages
class _SklearnNuisance:
    """An sklearn model cross-fitted on ``[X, SX, S^2X]``; a classifier's ``predict_proba`` for a propensity."""

    def __init__(self, model: Any, *, propensity: bool, features: dict | None = None):
        self.model = model
        self.propensity = propensity
        self.features = features or {}

    def _proba(self, model) -> bool:
        return self.propensity and is_classifier(model)

    def crossfit(self, data: _FitData, target: np.ndarray, seeds):
        """Held-out predictions, the fold models, their histories (None) and target scales (None)."""
        w = data.w
        weighted = np.any(w != 1.0)
        sw = w if (weighted and has_fit_parameter(self.model, "sample_weight")) else None
        if weighted and sw is None:
            raise TypeError(
                f"{type(self.model).__name__} does not accept sample_weight; weights cannot be honoured."
            )
        method = "predict_proba" if self._proba(self.model) else "predict"
        res = crossfit_predict(
            self.model, data.F, target, folds=data.folds, method=method, sample_weight=sw
        )
        return res.predictions, res.models, None, None

    def predict(self, models, X, ei, g, feature_keep, scales=None) -> np.ndarray:
        """Average prediction of the fold models on new nodes."""
        F, _ = graph_features(X, ei, feature_keep, **self.features)
        out = [mod.predict_proba(F)[:, 1] if self._proba(mod) else mod.predict(F) for mod in models]
        return np.mean(out, axis=0)


class _GNNNuisance:
    """Per fold, a GNN sees the whole graph but its loss uses only the training nodes' targets.

    An outcome (``propensity=False``) is fitted by weighted MSE after standardising the target with the training
    nodes' mean and scale only, so no statistic of a held-out node's outcome reaches the model that predicts it;
    a propensity by weighted binary cross-entropy on logits.
    """

    def __init__(self, spec: Any, *, propensity: bool, train: GNNTraining):
        self.spec = spec
        self.propensity = propensity
        self.train = train

    def crossfit(self, data: _FitData, target: np.ndarray, seeds):
        """Held-out predictions (logits for a propensity), the fold models, their histories and (mean, scale)."""
        import torch

        from ..graphs._nn import predict_module

        g = data.g
        pred = np.empty(g.n)
        models, hists, scales = [], [], []
        for k, (tr, te) in enumerate(data.folds):
            if self.propensity:
                mu, sd = 0.0, 1.0
                z = torch.as_tensor(target, dtype=torch.float32, device=g.x.device)
                loss_fn = bce_loss(z, data.w_t)
            else:
                mu, sd = float(target[tr].mean()), float(target[tr].std() or 1.0)
                z = torch.as_tensor((target - mu) / sd, dtype=torch.float32, device=g.x.device)
                loss_fn = mse_loss(z, data.w_t)
            module, hist = fit_gnn(self.spec, g, loss_fn, tr, seeds[k], train=self.train)
            out = predict_module(module, g)[:, 0]
            pred[te] = mu + sd * out[te]
            models.append(module.cpu())
            hists.append(hist)
            scales.append((mu, sd))
        return pred, models, hists, scales

    def predict(self, models, X, ei, g, feature_keep, scales=None) -> np.ndarray:
        """Average output (logits for a propensity) of the fold models on new nodes, rescaled by ``scales``."""
        from ..graphs._nn import predict_module

        scales = scales or [(0.0, 1.0)] * len(models)
        preds = [
            mu + sd * predict_module(mod.to(g.x.device), g)[:, 0]
            for mod, (mu, sd) in zip(models, scales)
        ]
        for mod in models:
            mod.cpu()
        return np.mean(preds, axis=0)


def _sigmoid(logit: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logit))


# ---------------------------------------------------------------- final stages: argmin sum w (Ytilde - Ttilde tau)^2
class _GNNFinal:
    """A GNN minimising the R-loss over all nodes (``Ytilde`` scaled by the outcome's standard deviation)."""

    def __init__(self, spec: Any, train: GNNTraining):
        self.spec = spec
        self.train = train

    def fit(self, est, data: _FitData, yt: np.ndarray, ttil: np.ndarray, seed: int):
        import torch

        from ..graphs._nn import predict_module

        y_sd = est.y_scale_[1]
        dev = data.g.x.device
        yt_t = torch.as_tensor(yt / y_sd, dtype=torch.float32, device=dev)
        tt_t = torch.as_tensor(ttil, dtype=torch.float32, device=dev)
        module, history = fit_gnn(
            self.spec,
            data.g,
            r_loss(yt_t, tt_t, data.w_t),
            np.arange(data.d.n),
            seed,
            train=self.train,
        )
        tau = y_sd * predict_module(module, data.g)[:, 0]
        est.final_model_ = module.cpu()
        return tau, history

    def cv_effect(self, est, data: _FitData, yt, ttil, tr, te, seed) -> np.ndarray:
        import torch

        from ..graphs._nn import predict_module

        y_sd = est.y_scale_[1]
        dev = data.g.x.device
        yt_t = torch.as_tensor(yt / y_sd, dtype=torch.float32, device=dev)
        tt_t = torch.as_tensor(ttil, dtype=torch.float32, device=dev)
        module, _ = fit_gnn(
            self.spec, data.g, r_loss(yt_t, tt_t, data.w_t), tr, seed, train=self.train
        )
        return y_sd * predict_module(module, data.g)[te, 0]

    def effect(self, est, X: np.ndarray, ei: np.ndarray | None) -> np.ndarray:
        from ..graphs._nn import predict_module

        g = est._graph_tensors(X, ei)
        out = est.y_scale_[1] * predict_module(est.final_model_.to(g.x.device), g)[:, 0]
        est.final_model_.cpu()
        return out


class _LinearFinal:
    """``tau = [1, X, mean_nbr(X)] theta`` by least squares of ``Ytilde`` on ``phi * Ttilde`` (HC1/CR1 errors)."""

    @staticmethod
    def design(X: np.ndarray, ei: np.ndarray | None, keep: np.ndarray | None = None):
        parts = [np.ones((X.shape[0], 1)), X]
        if ei is not None:
            parts.append(neighbour_mean(X, ei))
        phi = np.hstack(parts)
        if keep is None:
            keep = np.any(phi != 0, axis=0)
        return phi[:, keep], keep

    @staticmethod
    def independent_terms(phi: np.ndarray, ttil: np.ndarray, w: np.ndarray, names: list[str]):
        """Terms of the linear effect model whose regressors ``phi_j * Ttilde`` are linearly independent.

        All-zero terms (e.g. neighbour means on a graph without edges) are dropped silently, constant or
        collinear ones with a :class:`~causalkit.exceptions.CollinearityWarning` naming them: left in, a
        rank-deficient design gave coefficients of 1e15 and an ATE of 1.7e14.
        """
        design = phi * (ttil * np.sqrt(w))[:, None]
        keep = independent_columns(design)
        nonzero = np.any(phi != 0, axis=0)
        dropped = [nm for nm, k, nz in zip(names, keep, nonzero) if nz and not k]
        if dropped:
            warnings.warn(
                f"Linear final stage: term(s) {dropped} are constant or collinear with earlier terms of "
                "[1, X, mean_nbr(X)] and were dropped; their effect is carried by the terms kept.",
                CollinearityWarning,
                stacklevel=user_stacklevel(),
            )
        return keep

    def fit(self, est, data: _FitData, yt: np.ndarray, ttil: np.ndarray, seed: int):
        d, ei = data.d, data.ei
        names = ["intercept", *d.names]
        if ei is not None:
            names += [f"mean_nbr({c})" for c in d.names]
        phi_all, _ = self.design(d.X, ei, np.ones(len(names), dtype=bool))
        est.linear_keep_ = self.independent_terms(phi_all, ttil, d.w, names)
        phi = phi_all[:, est.linear_keep_]
        if phi.shape[1] >= d.n:
            raise ValueError(
                f"model_final='linear' has {phi.shape[1]} terms but there are only {d.n} nodes: its "
                "standard errors need more nodes than terms (use fewer features or more nodes)."
            )
        est.final_model_ = None
        params, cov, _ = ols_inference(
            phi * ttil[:, None],
            yt,
            weights=d.w if np.any(d.w != 1.0) else None,
            cov_type="HC1",
            groups=d.groups,
        )
        est.coef_ = params
        est.coef_stderr_ = np.sqrt(np.diag(cov))
        est.coef_names_ = list(np.asarray(names)[est.linear_keep_])
        return phi @ params, None

    def effect(self, est, X: np.ndarray, ei: np.ndarray | None) -> np.ndarray:
        phi, _ = self.design(X, ei, est.linear_keep_)
        return phi @ est.coef_

    def cv_effect(self, est, data: _FitData, yt, ttil, tr, te, seed) -> np.ndarray:
        phi, _ = self.design(data.d.X, data.ei)
        keep = independent_columns(phi[tr] * ttil[tr, None])
        sw = np.sqrt(data.d.w[tr])
        theta, *_ = np.linalg.lstsq(
            phi[tr][:, keep] * (ttil[tr] * sw)[:, None], yt[tr] * sw, rcond=None
        )
        return phi[te][:, keep] @ theta


class _SklearnFinal:
    """An sklearn regressor of ``Ytilde / Ttilde`` with weights ``w Ttilde^2`` on ``[X, SX, S^2X]``."""

    def __init__(self, model: Any):
        self.model = model

    def fit(self, est, data: _FitData, yt: np.ndarray, ttil: np.ndarray, seed: int):
        model = clone(self.model)
        if not has_fit_parameter(model, "sample_weight"):
            raise TypeError(
                f"model_final {type(model).__name__} does not accept sample_weight, so it cannot minimise the "
                "R-loss (a weighted regression of Ytilde/Ttilde with weights Ttilde^2); use a GNN, 'linear' or "
                "an estimator with sample_weight."
            )
        model.fit(data.F, yt / ttil, sample_weight=data.d.w * ttil**2)
        est.final_model_ = model
        return np.asarray(model.predict(data.F), dtype=float), None

    def effect(self, est, X: np.ndarray, ei: np.ndarray | None) -> np.ndarray:
        F, _ = graph_features(X, ei, est.feature_keep_, **est._feature_kw())
        return np.asarray(est.final_model_.predict(F), dtype=float)

    def cv_effect(self, est, data: _FitData, yt, ttil, tr, te, seed) -> np.ndarray:
        model = clone(self.model)
        if not has_fit_parameter(model, "sample_weight"):
            raise TypeError(
                f"model_final {type(model).__name__} does not accept sample_weight, so it cannot minimise the "
                "R-loss (a weighted regression of Ytilde/Ttilde with weights Ttilde^2); use a GNN, 'linear' or "
                "an estimator with sample_weight."
            )
        model.fit(data.F[tr], yt[tr] / ttil[tr], sample_weight=data.d.w[tr] * ttil[tr] ** 2)
        return np.asarray(model.predict(data.F[te]), dtype=float)


class _FeatureLinearFinal(_LinearFinal):
    """``tau = [1, F] theta`` on the graph features ``F = [X, SX, S^2X, log(1 + degree)]`` (the baseline's)."""

    @staticmethod
    def phi(est, F: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones((F.shape[0], 1)), F])

    def fit(self, est, data: _FitData, yt: np.ndarray, ttil: np.ndarray, seed: int):
        d = data.d
        names = [
            "intercept",
            *list(
                np.asarray(graph_feature_names(d.names, *est._feature_hops_structural(data.ei)))[
                    est.feature_keep_
                ]
            ),
        ]
        phi_all = self.phi(est, data.F)
        est.linear_keep_ = self.independent_terms(phi_all, ttil, d.w, names)
        phi = phi_all[:, est.linear_keep_]
        if phi.shape[1] >= d.n:
            raise ValueError(
                f"the linear final stage has {phi.shape[1]} terms but there are only {d.n} nodes: its "
                "standard errors need more nodes than terms (use fewer features or more nodes)."
            )
        est.final_model_ = None
        params, cov, _ = ols_inference(
            phi * ttil[:, None],
            yt,
            weights=d.w if np.any(d.w != 1.0) else None,
            cov_type="HC1",
            groups=d.groups,
        )
        est.coef_ = params
        est.coef_stderr_ = np.sqrt(np.diag(cov))
        est.coef_names_ = list(np.asarray(names)[est.linear_keep_])
        return phi @ params, None

    def effect(self, est, X: np.ndarray, ei: np.ndarray | None) -> np.ndarray:
        F, _ = graph_features(X, ei, est.feature_keep_, **est._feature_kw())
        return self.phi(est, F)[:, est.linear_keep_] @ est.coef_

    def cv_effect(self, est, data: _FitData, yt, ttil, tr, te, seed) -> np.ndarray:
        phi = self.phi(est, data.F)
        keep = independent_columns(phi[tr] * ttil[tr, None])
        sw = np.sqrt(data.d.w[tr])
        theta, *_ = np.linalg.lstsq(
            phi[tr][:, keep] * (ttil[tr] * sw)[:, None], yt[tr] * sw, rcond=None
        )
        return phi[te][:, keep] @ theta


class _RLearnerBase(TorchStateMixin, EffectMixin, BaseEstimator):
    """Cross-fitting, final stages, AIPW inference and scoring shared by the graph-aware and blind learners.

    ``summary(*, alpha)``, ``conf_int(*, alpha)``, ``ate()`` and ``ate_interval(*, alpha)`` come from
    :class:`~causalkit._base.EffectMixin` and read ``inference_``. The nuisance and final stages are small
    strategy objects chosen from the model specifications (``_nuisance``, ``_final_stage``); they hold no
    fitted state (that stays on the estimator), so they are rebuilt whenever needed. Fitted GNNs are stored as
    arrays when the estimator is saved (:class:`~causalkit.network._state.TorchStateMixin`), so skops can save
    and load it.
    """

    _torch_attributes = ("models_y_", "models_t_", "final_model_")

    _ate_term = "ATE"

    _graph_aware = True

    # ---------------------------------------------------------------- validation
    def _check_params(self) -> None:
        check_int(self.n_folds, "n_folds", low=2)
        clip = self.propensity_clip
        if not (
            isinstance(clip, (tuple, list))
            and len(clip) == 2
            and 0 < float(clip[0]) < float(clip[1]) < 1
        ):
            raise ValueError(
                f"propensity_clip must be a pair (low, high) with 0 < low < high < 1; got {clip!r}."
            )
        if self.fold_strategy not in ("random", "cluster"):
            raise ValueError(
                f"fold_strategy must be 'random' or 'cluster'; got {self.fold_strategy!r}."
            )

    def _folds(self, d, seed: int):
        if self.fold_strategy == "cluster":
            labels = d.groups
            if labels is None:
                if d.edge_index is None:
                    raise ValueError(
                        "fold_strategy='cluster' needs groups= (or a graph, to use its components)."
                    )
                labels = connected_components(d.edge_index, d.n)
            if np.unique(labels).shape[0] < self.n_folds:
                raise ValueError(
                    f"fold_strategy='cluster' needs at least n_folds={self.n_folds} clusters; got "
                    f"{np.unique(labels).shape[0]} (a connected graph has one component: pass groups= or use "
                    "fold_strategy='random')."
                )
            return make_folds(d.n, self.n_folds, groups=labels, random_state=seed)
        return make_folds(d.n, self.n_folds, stratify_by=d.T, random_state=seed)

    def _check_fold_arms(self, d, folds) -> None:
        for k, (tr, _) in enumerate(folds):
            for arm, label in ((1.0, "treated"), (0.0, "control")):
                if not np.any((d.T[tr] == arm) & (d.w[tr] > 0)):
                    cause = (
                        "groups (clusters)" if self.fold_strategy == "cluster" else "sample_weight"
                    )
                    raise ValueError(
                        f"{cause}: the training part of fold {k} has no {label} node with positive weight, so "
                        f"its nuisance models cannot be fitted; use fewer folds or more {label} nodes."
                    )

    # ---------------------------------------------------------------- stages
    def _train_settings(self, kinds) -> GNNTraining | None:
        return GNNTraining.of(self) if "gnn" in kinds else None

    # graph features of the sklearn stages and structural input of the GNNs (overridden by the subclasses)
    def _feature_hops_structural(self, ei) -> tuple[int, bool]:
        return 2, False

    def _feature_kw(self) -> dict:
        hops, structural = self._feature_hops_structural(getattr(self, "_ei_seen_", True))
        return {"hops": hops, "structural": structural}

    def _gnn_input(self, X: np.ndarray, ei) -> np.ndarray:
        return X

    def _nuisance(self, name: str, train: GNNTraining | None, spec: Any = None):
        spec = self._spec(name) if spec is None else spec
        propensity = name == "model_t"
        if check_model_spec(spec, name) == "gnn":
            return _GNNNuisance(spec, propensity=propensity, train=train)
        return _SklearnNuisance(spec, propensity=propensity, features=self._feature_kw())

    def _final_stage(self, kind: str, train: GNNTraining | None = None, spec: Any = None):
        if kind == "linear":
            return _LinearFinal()
        if kind == "graph_linear":
            return _FeatureLinearFinal()
        spec = self._spec("model_final") if spec is None else spec
        if kind == "gnn":
            return _GNNFinal(spec, train)
        return _SklearnFinal(spec)

    def _nuisance_candidates(self, name: str) -> list[tuple[str, Any]]:
        """``[(label, spec)]`` of a nuisance; more than one when the model is chosen by held-out loss."""
        return [(self._describe(name), self._spec(name))]

    def _final_candidates(self, kind_f: str) -> list[tuple[str, str, Any, int | None]]:
        """``[(label, kind, spec, layers)]``, simplest first; the first is the reference of the warnings."""
        label = self._describe("model_final")
        if kind_f in ("linear", "graph_linear"):
            return [(label, kind_f, None, None)]
        return [
            ("linear on graph features", "graph_linear", None, None),
            (label, kind_f, self._spec("model_final"), None),
        ]

    def _final_layers(self) -> list[int]:
        return [int(getattr(self, "num_layers", 1))]

    def _select_final(self, data, yt, ttil, seeds, train, candidates, auto: bool):
        """Cross-validated R-loss of each final-stage candidate on the nuisance folds; the chosen one's index.

        Every candidate is fitted on the training nodes of each fold and scored on its held-out nodes by
        ``sum w (Ytilde - Ttilde tau)^2``; the reference is the best constant effect of the training nodes. With
        ``auto`` the simplest candidate whose held-out loss is within ``_SELECT_SE`` paired standard errors of
        the best is chosen.
        """
        w, n = data.w, data.d.n
        losses = np.empty((len(candidates), n))
        base = np.empty(n)
        for tr, te in data.folds:
            const = np.sum(w[tr] * ttil[tr] * yt[tr]) / np.sum(w[tr] * ttil[tr] ** 2)
            base[te] = w[te] * (yt[te] - ttil[te] * const) ** 2
        for c, (_, kind, spec, layers) in enumerate(candidates):
            tr_c = dataclasses.replace(train, num_layers=layers) if layers is not None else train
            stage = self._final_stage(kind, tr_c, spec)
            for k, (tr, te) in enumerate(data.folds):
                tau_te = stage.cv_effect(self, data, yt, ttil, tr, te, int(seeds[k]))
                losses[c, te] = w[te] * (yt[te] - ttil[te] * tau_te) ** 2
        mean = losses.mean(axis=1)
        total_base = base.sum()
        scores = (
            1.0 - losses.sum(axis=1) / total_base if total_base > 0 else np.full(len(mean), np.nan)
        )
        best = int(np.argmin(mean))
        chosen = best if auto else len(candidates) - 1  # a fixed final stage is the last candidate
        if auto:
            for c in range(best):
                diff = losses[c] - losses[best]
                if diff.mean() <= _SELECT_SE * diff.std(ddof=1) / np.sqrt(n):
                    chosen = c
                    break
        se_best = [
            float(np.std(losses[c] - losses[best], ddof=1) / np.sqrt(n)) for c in range(len(mean))
        ]
        table = [
            {
                "candidate": lab,
                "cv_r_loss": float(mean[c]),
                "cv_r_score": float(scores[c]),
                "se_vs_best": se_best[c],
            }
            for c, (lab, *_rest) in enumerate(candidates)
        ]
        for c, row in enumerate(table):
            row["chosen"] = c == chosen
        return chosen, table, losses

    def _final_warnings(self, table, losses, chosen: int, auto: bool) -> None:
        score = table[chosen]["cv_r_score"]
        if np.isfinite(score) and score < _RSCORE_WARN:
            warnings.warn(
                f"Final stage {table[chosen]['candidate']!r}: its cross-validated R-score is {score:.3f} (below "
                f"{_RSCORE_WARN}), so on held-out nodes it explains no more of the R-loss than a constant effect: "
                "the node-level effects are not distinguishable from the ATE; report the ATE, not tau(x).",
                FinalStageWarning,
                stacklevel=user_stacklevel(),
            )
        elif not auto and chosen > 0 and table[0]["cv_r_loss"] <= table[chosen]["cv_r_loss"]:
            warnings.warn(
                f"Final stage {table[chosen]['candidate']!r} (cross-validated R-score "
                f"{table[chosen]['cv_r_score']:.3f}) is no better on held-out nodes than the simpler "
                f"{table[0]['candidate']!r} ({table[0]['cv_r_score']:.3f}); model_final='auto' would choose the "
                "simpler one.",
                FinalStageWarning,
                stacklevel=user_stacklevel(),
            )

    def _nuisance_loss(self, name: str, d, pred: np.ndarray, gnn: bool) -> float:
        if name == "model_y":
            return float(np.average((d.Y - pred) ** 2, weights=d.w))
        e = np.clip(_sigmoid(pred) if gnn else pred, 1e-6, 1 - 1e-6)
        return float(-np.average(d.T * np.log(e) + (1 - d.T) * np.log(1 - e), weights=d.w))

    def _crossfit_nuisance(self, name, data, target, seeds, train):
        """Cross-fit each candidate of a nuisance; keep the one with the lowest held-out loss."""
        best = None
        self.nuisance_candidates_ = getattr(self, "nuisance_candidates_", {})
        rows = []
        for label, spec in self._nuisance_candidates(name):
            stage = self._nuisance(name, train, spec)
            out = stage.crossfit(data, target, seeds)
            loss = self._nuisance_loss(name, data.d, out[0], isinstance(stage, _GNNNuisance))
            rows.append({"candidate": label, "held_out_loss": loss})
            if best is None or loss < best[0]:
                best = (loss, spec, label, out)
        for row in rows:
            row["chosen"] = row["candidate"] == best[2]
        self.nuisance_candidates_[name] = rows
        return best[1], best[3]

    # ---------------------------------------------------------------- fit
    def _fit(self, X, T, Y, edge_index, groups, sample_weight):
        self._check_params()
        specs = {
            nm: [sp for _, sp in self._nuisance_candidates(nm)] for nm in ("model_y", "model_t")
        }
        kinds_y = [check_model_spec(sp, "model_y") for sp in specs["model_y"]]
        kinds_t = [check_model_spec(sp, "model_t") for sp in specs["model_t"]]
        auto_final = self._auto_final()
        kind_f = (
            "auto"
            if auto_final
            else check_model_spec(
                self._spec("model_final"), "model_final", allow=("linear", "graph_linear")
            )
        )
        kinds = (*kinds_y, *kinds_t, "gnn" if auto_final else kind_f)
        if "gnn" in kinds:
            check_gnn_params(self)
        train = self._train_settings(kinds)
        d = check_fit_inputs(
            X,
            T,
            Y,
            edge_index,
            sample_weight=sample_weight,
            groups=groups,
            require_graph=self._graph_aware,
        )
        check_n_clusters(d.groups, "groups", stacklevel=user_stacklevel() + 1)
        ei = d.edge_index if self._graph_aware else None
        self._ei_seen_ = ei is not None
        lo, hi = (float(c) for c in self.propensity_clip)
        check_arm_counts(d.T, d.w, int(self.n_folds), weighted=sample_weight is not None)
        seeds = spawn_seeds(self.random_state, 3 + 3 * self.n_folds)
        folds = self._folds(d, seeds[0])
        self._check_fold_arms(d, folds)
        set_feature_names(self, d)
        self.feature_names_ = d.names
        self.fold_indices_ = [te for _, te in folds]
        self.degree_ = degree(ei, d.n) if ei is not None else None

        data = _FitData(d, ei, folds)
        Xg = self._gnn_input(d.X, ei)
        self.scaler_ = Standardizer(Xg)
        if train is not None:
            import torch

            from ..graphs._nn import graph_tensors

            dev = resolve_device(self.device)
            data.g = graph_tensors(self.scaler_(Xg), ei, dev)
            data.w_t = torch.as_tensor(d.w / d.w.mean(), dtype=torch.float32, device=dev)
        data.F, self.feature_keep_ = graph_features(d.X, ei, **self._feature_kw())

        history: dict[str, Any] = {}
        self.nuisance_candidates_ = {}
        # outcome nuisance m(x, G) = E[Y | X, G]
        self.y_scale_ = (float(d.Y.mean()), float(d.Y.std() or 1.0))
        self.model_y_, (m, self.models_y_, hist_y, y_scales) = self._crossfit_nuisance(
            "model_y", data, d.Y, seeds[1 : 1 + self.n_folds], train
        )
        self.y_fold_scales_ = y_scales
        if hist_y is not None:
            history["model_y"] = hist_y
        # propensity nuisance e(x, G) = P(T = 1 | X, G)
        self.model_t_, (e_raw, self.models_t_, hist_t, _) = self._crossfit_nuisance(
            "model_t", data, d.T, seeds[1 + self.n_folds : 1 + 2 * self.n_folds], train
        )
        if hist_t is not None:  # a GNN gives logits
            history["model_t"] = hist_t
            e_raw = _sigmoid(e_raw)
        e = np.clip(e_raw, lo, hi)
        self.n_clipped_ = n_clipped = int(np.sum((e <= lo) | (e >= hi)))
        if n_clipped:  # as _base.warn_no_overlap, but pointing at the user's call to fit
            warnings.warn(
                f"{n_clipped} of {d.n} estimated propensity values are at the clipping bounds {(lo, hi)}: "
                "overlap is weak and effect estimates there rest on extrapolation.",
                OverlapWarning,
                stacklevel=user_stacklevel(),
            )
        self.nuisance_scores_ = _nuisance_scores(d, m, e, self.fold_indices_)
        self.m_hat_, self.e_hat_ = m, e
        yt, ttil = d.Y - m, d.T - e
        self.residuals_ = np.column_stack([yt, ttil])

        # final stage: argmin sum w (Ytilde - Ttilde tau)^2, candidates scored by cross-validated R-loss
        candidates = self._final_candidates(kind_f)
        # too few nodes for the linear final's terms (and its standard errors): not a candidate
        if auto_final:
            candidates = [
                c for c in candidates if c[1] != "graph_linear" or 1 + data.F.shape[1] < d.n
            ]
        cv_seeds = seeds[1 + 2 * self.n_folds : 1 + 3 * self.n_folds]
        chosen, table, losses = self._select_final(
            data, yt, ttil, cv_seeds, train, candidates, auto_final
        )
        self.final_scores_ = table
        _label, kind, spec, layers = candidates[chosen]
        self.final_kind_ = kind
        self.model_final_ = spec if kind not in ("linear", "graph_linear") else kind
        self.final_layers_ = layers
        self.coef_ = self.coef_stderr_ = None
        tr_f = dataclasses.replace(train, num_layers=layers) if layers is not None else train
        if getattr(self, "_refit_all_candidates", False):  # benchmark only: every candidate's refit
            self.candidate_effects_ = {}
            for lab, knd, sp, lay in candidates:
                tr_c = dataclasses.replace(train, num_layers=lay) if lay is not None else train
                self.candidate_effects_[lab] = self._final_stage(knd, tr_c, sp).fit(
                    self, data, yt, ttil, seeds[-1]
                )[0]
            self.coef_ = self.coef_stderr_ = None
        tau, hist_f = self._final_stage(kind, tr_f, spec).fit(self, data, yt, ttil, seeds[-1])
        self._final_warnings(table, losses, chosen, auto_final)
        if hist_f is not None:
            history["final"] = hist_f
        self.effect_ = tau
        self.history_ = history
        self.device_ = str(self.device)
        self.psi_, self.inference_ = self._aipw_inference(d, ei, m, e, tau, yt, ttil)
        self.groups_used_ = d.groups is not None
        self.w_ = d.w
        return self

    def _auto_final(self) -> bool:
        return False

    def _aipw_inference(self, d, ei, m, e, tau, yt, ttil):
        """The ATE from the cross-fitted AIPW (doubly robust) score, plus a linear final stage's coefficients."""
        mu1 = m + (1 - e) * tau
        mu0 = m - e * tau
        psi = mu1 - mu0 + d.T * (d.Y - mu1) / e - (1 - d.T) * (d.Y - mu0) / (1 - e)
        params, cov, _ = ols_inference(
            np.ones((d.n, 1)),
            psi,
            weights=d.w if np.any(d.w != 1.0) else None,
            cov_type="HC1",
            groups=d.groups,
        )
        notes = [] if d.groups is not None else [_IID_WARNING]
        if self.n_clipped_:
            notes.append(
                f"{self.n_clipped_} propensities at the clipping bounds {tuple(self.propensity_clip)}."
            )
        estimate, stderr, names = float(params[0]), float(np.sqrt(cov[0, 0])), ["ATE"]
        if self.final_kind_ in (
            "linear",
            "graph_linear",
        ):  # tau(x) = phi(x)'theta: coefficients are terms
            estimate, stderr = np.r_[estimate, self.coef_], np.r_[stderr, self.coef_stderr_]
            names += [f"tau: {c}" for c in self.coef_names_]
            notes.append(
                "Rows 'tau: ...' are the coefficients of the linear effect model tau(x) = phi(x)'theta."
            )
        result = EffectResult(
            estimate,
            stderr,
            names=names,
            method=f"{type(self).__name__} (cross-fitted AIPW score)",
            info={
                "Nodes": d.n,
                "Edges (directed)": 0 if ei is None else ei.shape[1],
                "Nuisances": f"{self._describe('model_y')} / {self._describe('model_t')}, {self.n_folds} folds",
                "Nuisance candidates (held-out loss)": "; ".join(
                    f"{nm[6:]}: "
                    + ", ".join(
                        f"{r['candidate']} {r['held_out_loss']:.4g}{'*' if r['chosen'] else ''}"
                        for r in rows
                    )
                    for nm, rows in self.nuisance_candidates_.items()
                ),
                "Final stage": self._final_label(),
                "Final-stage candidates (CV R-score)": ", ".join(
                    f"{r['candidate']} {r['cv_r_score']:.4f}{'*' if r['chosen'] else ''}"
                    for r in self.final_scores_
                ),
                "Standard errors": "cluster-robust by groups"
                if d.groups is not None
                else "iid (HC1)",
                "R-score (in-sample)": f"{_rscore(yt, ttil, tau, d.w):.4f}",
            },
            notes=notes,
        )
        return psi, result

    def _spec(self, name):
        return getattr(self, name)

    def _final_label(self) -> str:
        for row in self.final_scores_:
            if row["chosen"]:
                return str(row["candidate"])
        return self._describe("model_final")

    def _describe(self, name) -> str:
        spec = self._spec(name)
        return spec if isinstance(spec, str) else type(spec).__name__

    # ---------------------------------------------------------------- outputs
    def _new_graph_inputs(self, X, edge_index):
        X = check_new_X(self, X)
        ei = None
        if self._graph_aware:
            if edge_index is None:
                raise ValueError(
                    "edge_index is required with new X: the effect depends on the new graph."
                )
            ei = to_edge_index(edge_index, X.shape[0])
        return X, ei

    def _graph_tensors(self, X, ei):
        from ..graphs._nn import graph_tensors

        return graph_tensors(self.scaler_(self._gnn_input(X, ei)), ei, resolve_device(self.device))

    def effect(self, X: Any = None, *, edge_index: Any = None):
        """Node-level effects τ̂.

        Parameters
        ----------
        X : array-like of shape (m, d), optional
            Features of new nodes. Omit for the transductive effects of the fitted nodes.
        edge_index : graph, optional
            The new nodes' graph (required with ``X`` for graph-aware final stages): effects are predicted
            inductively on it.

        Returns
        -------
        numpy.ndarray of shape (n,) or (m,), or a pandas Series named ``effect`` with the index of a
        DataFrame ``X``.
        """
        check_is_fitted(self, "effect_")
        if X is None:
            if edge_index is not None:
                raise ValueError("edge_index given without X: pass the new graph's features too.")
            return self.effect_.copy()
        Xa, ei = self._new_graph_inputs(X, edge_index)
        return pandas_like(self._effect_on(Xa, ei), X, name="effect")

    def _effect_on(self, X: np.ndarray, ei: np.ndarray | None) -> np.ndarray:
        return self._final_stage(self.final_kind_, None, self.model_final_).effect(self, X, ei)

    def score(
        self,
        Y: Any = None,
        T: Any = None,
        *,
        X: Any = None,
        edge_index: Any = None,
        sample_weight: Any = None,
    ) -> float:
        """R-score ``1 - R-loss(τ̂) / R-loss(best constant effect)`` (EconML's ``RScorer``).

        Without data it uses the fitted nodes' cross-fitted residuals; that is optimistic for a flexible final
        stage fitted on the same nodes. With new ``Y, T`` and ``X=`` (and their ``edge_index``) the residuals
        come from the fold nuisance models, averaged, and the score is out of sample; use it to choose between
        final stages.

        Returns
        -------
        float
            1 is a perfect fit of the effect heterogeneity, 0 no better than a constant effect.
        """
        check_is_fitted(self, "effect_")
        if X is None and T is None and Y is None:
            return _rscore(self.residuals_[:, 0], self.residuals_[:, 1], self.effect_, self.w_)
        check_names(self, X)
        d = check_fit_inputs(
            X, T, Y, edge_index, sample_weight=sample_weight, require_graph=self._graph_aware
        )
        if d.X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {d.X.shape[1]} features; the estimator was fitted with {self.n_features_in_}."
            )
        ei = d.edge_index if self._graph_aware else None
        stage_y = self._nuisance("model_y", None, self.model_y_)
        stage_t = self._nuisance("model_t", None, self.model_t_)
        uses_gnn = isinstance(stage_y, _GNNNuisance) or isinstance(stage_t, _GNNNuisance)
        g = self._graph_tensors(d.X, ei) if uses_gnn or self.final_kind_ == "gnn" else None
        keep = getattr(self, "feature_keep_", None)
        m = stage_y.predict(self.models_y_, d.X, ei, g, keep, self.y_fold_scales_)
        e = stage_t.predict(self.models_t_, d.X, ei, g, keep)
        if isinstance(stage_t, _GNNNuisance):
            e = _sigmoid(e)
        e = np.clip(e, *self.propensity_clip)
        tau = self._effect_on(d.X, ei)
        return _rscore(d.Y - m, d.T - e, tau, d.w)


def _nuisance_scores(d, m: np.ndarray, e: np.ndarray, fold_indices) -> dict[str, Any]:
    """Held-out MSE/R² of ``m`` and log-loss/Brier score of ``e``, per fold."""
    return {
        "model_y": {
            "mse": [float(np.mean((d.Y[te] - m[te]) ** 2)) for te in fold_indices],
            "r2": [  # NaN for a fold whose outcome is constant
                float(1 - np.mean((d.Y[te] - m[te]) ** 2) / v)
                if (v := np.var(d.Y[te])) > 0
                else np.nan
                for te in fold_indices
            ],
        },
        "model_t": {
            "log_loss": [
                float(-np.mean(d.T[te] * np.log(e[te]) + (1 - d.T[te]) * np.log(1 - e[te])))
                for te in fold_indices
            ],
            "brier": [float(np.mean((d.T[te] - e[te]) ** 2)) for te in fold_indices],
        },
    }


class GraphRLearner(_RLearnerBase):
    """R-learner for node-level treatment effects on a graph, with GNN nuisances and final stage.

    Nie & Wager's R-learner with graph-aware models, after Sairam, Girdhar & Soni, "The Final-Stage Bottleneck"
    (arXiv 2511.13018, 2025). Nuisances ``m(x, G) = E[Y | X, G]`` and ``e(x, G) = P(T = 1 | X, G)`` are
    cross-fitted over nodes: every fold's GNN sees the whole graph and all features, but its loss uses only the
    training fold's ``Y`` or ``T``, and it predicts the held-out nodes. The final stage minimises the R-loss
    ``sum_i w_i (Ytilde_i - Ttilde_i tau_i)^2`` over a GNN, or over the linear model ``tau = [1, x, Sx] theta``
    whose intercept is multiplied by ``Ttilde`` (the paper's released code omitted this, which alone gives its
    "MSE > 4" headline). Every GNN early-stops on a validation split of its training nodes.

    Assumes unconfoundedness given ``(X, G)``, overlap and **no interference** (a node's outcome depends on its
    own treatment only); for spillovers use exposure-mapping methods.

    Parameters
    ----------
    model_y, model_t : {"auto", "sage", "gcn", "gat"}, callable or sklearn estimator, default "auto"
        Nuisance models. ``"auto"``: both gradient boosting on the graph features (``HistGradientBoosting``,
        ``max_iter=100, learning_rate=0.05``) and a ``num_layers``-layer SAGE are cross-fitted, and the one with
        the lower held-out loss (MSE; log-loss for ``model_t``) is used (``nuisance_candidates_``). A callable is a factory ``f(in_dim, out_dim) -> torch.nn.Module`` whose module is
        called as ``module(x, edge_index)``. An sklearn estimator is fitted on the graph-propagated features
        ``[X, SX, S^2X]`` (``S`` the row-normalised adjacency); a classifier's ``predict_proba`` is used for
        ``model_t``.
    model_final : {"auto", "sage", "gcn", "gat", "linear", "graph_linear"}, callable or sklearn estimator, \
default "auto"
        Final stage. ``"auto"``: the candidates ``"graph_linear"`` (the feature baseline's final stage, ``tau =
        [1, X, SX, S^2X, log(1+degree)] theta``), gradient boosting on the graph features and SAGE with each of
        ``final_layers`` layers are scored by their cross-validated R-loss on the nuisance folds, and the
        simplest within one paired standard error of the best is refitted on all nodes (``final_scores_``, and
        the candidates' R-scores in ``summary()``). A :class:`~causalkit.exceptions.FinalStageWarning` says
        when the chosen final stage's cross-validated R-score is below 0.01, or when a fixed GNN/sklearn final
        stage is no better on held-out nodes than the linear one. ``"linear"``: ``tau = [1, X, SX] theta`` by least squares of ``Ytilde`` on
        ``[1, X, SX] * Ttilde`` (coefficients with HC1 or cluster-robust errors in ``summary()``). An sklearn
        estimator is fitted to ``Ytilde/Ttilde`` with weights ``Ttilde^2`` (it must accept ``sample_weight``).
    structural_features : bool, default True
        Append ``log(1 + degree)`` to the GNNs' input and to the sklearn stages' graph features: a
        mean-aggregation GNN cannot see degree otherwise (with degree confounding its ATE was biased, issue #16).
    final_layers : int or sequence of int, default (1, 2)
        Depths of the SAGE candidates of ``model_final="auto"``.
    n_folds : int, default 2
        Cross-fitting folds.
    hidden_channels, num_layers : int, default 32, 2
        GNN width and number of message-passing layers of the GNN nuisances and of a fixed GNN final stage (the
        head is an MLP on ``[x, h]``).
    lr, weight_decay : float, default 1e-2, 1e-4
        Adam settings.
    max_epochs, patience : int, default 500, 30
        Full-batch epochs at most, and early-stopping patience on the validation loss.
    val_fraction : float, default 0.2
        Share of each training set held out for early stopping.
    propensity_clip : (float, float), default (0.02, 0.98)
        Propensities are clipped to this range; a warning gives the number at the bounds.
    fold_strategy : {"random", "cluster"}, default "random"
        ``"random"``: node folds stratified by ``T``. ``"cluster"``: folds never split a cluster of ``groups``
        (connected components when ``groups`` is None).
    batch_size : int or None, default None
        None trains full batch; an int trains on mini-batches of nodes (exact for one-layer SAGE, neighbour
        sampling with ``num_neighbors`` per node and layer otherwise). For graphs of millions of nodes.
    num_neighbors : int, default 10
        Fan-out of the neighbour sampler in mini-batch mode.
    device : str, default "cpu"
        Torch device ("cuda" for a GPU).
    n_threads : int or None, default None
        Torch intra-op threads during ``fit`` (restored afterwards); None keeps torch's setting. On a busy
        machine with few cores, 1 is often many times faster than the default.
    random_state : int, RandomState, Generator or None
        Seeds folds, validation splits and weight initialisation; the same seed gives identical effects on CPU.
    verbose : bool, default False

    Attributes
    ----------
    effect_ : ndarray (n,)
        Transductive τ̂ of the fitted nodes.
    m_hat_, e_hat_ : ndarray (n,)
        Cross-fitted outcome and (clipped) propensity predictions.
    residuals_ : ndarray (n, 2)
        ``[Ytilde, Ttilde]``.
    psi_ : ndarray (n,)
        AIPW scores (their mean is the ATE).
    fold_indices_ : list of ndarray
        Held-out nodes of each fold.
    history_ : dict
        Training history (epochs run, best epoch, validation curve) of every GNN.
    nuisance_scores_ : dict
        Held-out MSE/R² of ``m`` and log-loss/Brier score of ``e``, per fold.
    nuisance_candidates_ : dict
        Per nuisance, the candidates' held-out losses and which was chosen.
    final_scores_ : list of dict
        Per final-stage candidate: ``candidate``, ``cv_r_loss``, ``cv_r_score`` and ``chosen``.
    model_y_, model_t_, model_final_ : the chosen specifications.
    final_model_ : torch.nn.Module, sklearn estimator or None
    coef_, coef_stderr_, coef_names_ : linear final stage only.
    inference_ : EffectResult
        The ATE (term ``"ATE"``) and, for a linear final stage, the coefficients of ``tau(x)`` (terms
        ``"tau: ..."``); read by ``summary(*, alpha)``, ``conf_int(*, alpha)``, ``ate()`` and
        ``ate_interval(*, alpha)``.
    n_clipped_ : int
        Number of propensities at the clipping bounds.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``X`` (only then); ``effect``/``score`` refuse DataFrames with other
        columns or another order.

    Notes
    -----
    The ATE interval comes from the cross-fitted AIPW score ``psi = mu1 - mu0 + T (Y - mu1)/e - (1 - T)
    (Y - mu0)/(1 - e)`` with ``mu1 = m + (1 - e) tau`` and ``mu0 = m - e tau``. Its iid standard error is too
    narrow under network dependence; pass ``groups`` for cluster-robust errors. There is no pointwise interval for
    a GNN final stage.

    Examples
    --------
    >>> from causalkit.datasets import make_network_effect
    >>> d = make_network_effect(400, "er", random_state=0)
    >>> est = GraphRLearner(max_epochs=100, random_state=0).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
    >>> est.effect().shape
    (400,)
    >>> lo, hi = est.ate_interval(alpha=0.05)
    >>> list(est.conf_int().columns)
    ['lower', 'upper']
    """

    def __init__(
        self,
        model_y: Any = "auto",
        *,
        model_t: Any = "auto",
        model_final: Any = "auto",
        structural_features: bool = True,
        final_layers: Any = (1, 2),
        n_folds: int = 2,
        hidden_channels: int = 32,
        num_layers: int = 2,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        max_epochs: int = 500,
        patience: int = 30,
        val_fraction: float = 0.2,
        propensity_clip: tuple[float, float] = (0.02, 0.98),
        fold_strategy: str = "random",
        batch_size: int | None = None,
        num_neighbors: int = 10,
        device: str = "cpu",
        n_threads: int | None = None,
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.structural_features = structural_features
        self.final_layers = final_layers
        self.n_folds = n_folds
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.propensity_clip = propensity_clip
        self.fold_strategy = fold_strategy
        self.batch_size = batch_size
        self.num_neighbors = num_neighbors
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

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
        """Fit the nuisances by cross-fitting, then the final stage on the R-loss.

        Parameters
        ----------
        Y : array-like of shape (n,)
            Outcome.
        T : array-like of shape (n,)
            Binary 0/1 treatment.
        X : array-like of shape (n, d)
            Node features (row ``i`` is node ``i``).
        edge_index : (2, E) int array, torch tensor, scipy sparse adjacency or networkx graph
            The graph (``edge_index[0]`` sources, ``edge_index[1]`` targets; store undirected edges both ways).
        groups : array-like of shape (n,), optional
            Cluster labels: cluster-robust ATE errors, and the folds of ``fold_strategy="cluster"``.
        sample_weight : array-like of shape (n,), optional

        Returns
        -------
        self
        """
        with torch_threads(check_n_threads(self.n_threads)):
            return self._fit(X, T, Y, edge_index, groups, sample_weight)

    # ---------------------------------------------------------------- data-driven defaults (issue #16)
    def _check_params(self) -> None:
        super()._check_params()
        if not isinstance(self.structural_features, (bool, np.bool_)):
            raise TypeError(
                f"structural_features must be True or False; got {type(self.structural_features).__name__}."
            )
        self._final_layers()

    def _feature_hops_structural(self, ei) -> tuple[int, bool]:
        return 2, bool(self.structural_features)

    def _gnn_input(self, X: np.ndarray, ei) -> np.ndarray:
        if self.structural_features and ei is not None:
            return np.hstack([X, structural_columns(ei, X.shape[0])])
        return X

    def _auto_final(self) -> bool:
        return isinstance(self.model_final, str) and self.model_final == "auto"

    def _final_layers(self) -> list[int]:
        layers = self.final_layers
        values = list(layers) if isinstance(layers, (tuple, list)) else [layers]
        if not values:
            raise ValueError("final_layers must be an int or a non-empty list of ints; got [].")
        return [check_int(v, "final_layers", low=0) for v in values]

    def _default_sklearn(self, name: str):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        seed = spawn_seeds(self.random_state, 1)[0] if self.random_state is not None else 0
        cls = HistGradientBoostingRegressor if name == "model_y" else HistGradientBoostingClassifier
        return cls(max_iter=100, learning_rate=0.05, random_state=seed)

    def _nuisance_candidates(self, name: str) -> list[tuple[str, Any]]:
        spec = getattr(self, name)
        if isinstance(spec, str) and spec == "auto":
            return [
                ("gradient boosting on graph features", self._default_sklearn(name)),
                (f"sage ({self.num_layers} layers)", "sage"),
            ]
        return super()._nuisance_candidates(name)

    def _final_candidates(self, kind_f: str) -> list[tuple[str, str, Any, int | None]]:
        if kind_f == "auto":
            from sklearn.ensemble import HistGradientBoostingRegressor

            seed = spawn_seeds(self.random_state, 1)[0] if self.random_state is not None else 0
            boost = HistGradientBoostingRegressor(
                max_iter=100, learning_rate=0.05, min_samples_leaf=40, random_state=seed
            )
            return [
                ("linear on graph features", "graph_linear", None, None),
                ("gradient boosting on graph features", "sklearn", boost, None),
            ] + [(f"sage ({L} layers)", "gnn", "sage", L) for L in self._final_layers()]
        return super()._final_candidates(kind_f)

    def _describe(self, name) -> str:
        fitted = getattr(self, name + "_", None)
        spec = fitted if fitted is not None else self._spec(name)
        return spec if isinstance(spec, str) else type(spec).__name__


class BlindRLearner(_RLearnerBase):
    """Graph-blind R-learner: sklearn nuisances and final stage on the node's own features only.

    The baseline of :class:`GraphRLearner` with the same interface (``edge_index`` is accepted and ignored). The
    linear final stage multiplies its intercept by ``Ttilde`` (correct R-learner), so its error on graph effects
    is the irreducible ``Var(tau | X)``, not the paper's missing-intercept artefact.

    Parameters
    ----------
    model_y : sklearn regressor or None
        Default ``HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05)``.
    model_t : sklearn classifier or None
        Default ``HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05)``.
    model_final : "linear" or sklearn estimator accepting ``sample_weight``, default "linear"
    n_folds, propensity_clip, fold_strategy, random_state
        As in :class:`GraphRLearner`.

    Examples
    --------
    >>> from causalkit.datasets import make_network_effect
    >>> d = make_network_effect(300, "er", random_state=0)
    >>> est = BlindRLearner(random_state=0).fit(d.Y, d.T, X=d.X)
    >>> est.effect().shape
    (300,)
    """

    _graph_aware = False

    def __init__(
        self,
        model_y: Any = None,
        *,
        model_t: Any = None,
        model_final: Any = "linear",
        n_folds: int = 2,
        propensity_clip: tuple[float, float] = (0.02, 0.98),
        fold_strategy: str = "random",
        random_state: Any = None,
    ):
        self.model_y = model_y
        self.model_t = model_t
        self.model_final = model_final
        self.n_folds = n_folds
        self.propensity_clip = propensity_clip
        self.fold_strategy = fold_strategy
        self.random_state = random_state

    device = "cpu"

    def _spec(self, name):
        spec = getattr(self, name)
        if spec is None and name in ("model_y", "model_t"):
            from sklearn.ensemble import (
                HistGradientBoostingClassifier,
                HistGradientBoostingRegressor,
            )

            seed = spawn_seeds(self.random_state, 1)[0] if self.random_state is not None else 0
            if name == "model_y":
                return HistGradientBoostingRegressor(
                    max_iter=100, learning_rate=0.05, random_state=seed
                )
            return HistGradientBoostingClassifier(
                max_iter=100, learning_rate=0.05, random_state=seed
            )
        if (isinstance(spec, str) and spec != "linear") or (
            name != "model_final" and not hasattr(spec, "fit")
        ):
            raise ValueError(
                f"{name} of BlindRLearner must be an sklearn estimator (or 'linear' for model_final); got {spec!r}."
            )
        return spec

    def fit(
        self,
        Y: Any,
        T: Any,
        *,
        X: Any,
        edge_index: Any = None,
        groups: Any = None,
        sample_weight: Any = None,
    ):
        """Fit on the node features alone (``edge_index`` is ignored; kept for a uniform interface).

        Parameters
        ----------
        Y, T, X, groups, sample_weight
            As in :meth:`GraphRLearner.fit`.
        edge_index : ignored

        Returns
        -------
        self
        """
        return self._fit(X, T, Y, edge_index, groups, sample_weight)
