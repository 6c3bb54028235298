"""S- and T-learner baselines on graphs, with the GraphRLearner interface."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._base import pandas_like, resolve_device, spawn_seeds, torch_threads
from ..graphs._graph import degree, to_edge_index
from ._common import (
    GNNTraining,
    Standardizer,
    check_fit_inputs,
    check_gnn_params,
    check_model_spec,
    check_n_threads,
    check_new_X,
    fit_gnn,
    graph_features,
    mse_loss,
    set_feature_names,
)
from ._state import TorchStateMixin

__all__ = ["GraphSLearner", "GraphTLearner"]

_PARAMS_DOC = """
    Parameters
    ----------
    model : {"sage", "gcn", "gat"}, callable or sklearn regressor, default "sage"
        Outcome model. A callable is a factory ``f(in_dim, out_dim) -> torch.nn.Module`` called as
        ``module(x, edge_index)``. An sklearn regressor is fitted on ``[X, SX, S^2X]``.
    hidden_channels, num_layers, lr, weight_decay, max_epochs, patience, val_fraction, batch_size,
    num_neighbors, device, n_threads, random_state, verbose
        As in :class:`GraphRLearner`.
"""


def _fit_sklearn(model, F, y, w):
    """Fit a clone; weights are passed on, and refused loudly by a model without ``sample_weight``."""
    model = clone(model)
    if np.all(w == 1.0):
        return model.fit(F, y)
    if not has_fit_parameter(model, "sample_weight"):
        raise TypeError(
            f"{type(model).__name__} does not accept sample_weight; weights cannot be honoured."
        )
    return model.fit(F, y, sample_weight=w)


class _GraphMetaBase(TorchStateMixin, BaseEstimator):
    # fitted GNNs are stored as arrays when saved (skops can load them): network/_state.py
    _torch_attributes = ("model_", "models_")

    def __init__(
        self,
        model: Any = "sage",
        *,
        hidden_channels: int = 32,
        num_layers: int = 1,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        max_epochs: int = 500,
        patience: int = 30,
        val_fraction: float = 0.2,
        batch_size: int | None = None,
        num_neighbors: int = 10,
        device: str = "cpu",
        n_threads: int | None = None,
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.model = model
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.batch_size = batch_size
        self.num_neighbors = num_neighbors
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _prepare(self, X, T, Y, edge_index, groups, sample_weight):
        self.kind_ = check_model_spec(self.model, "model")
        if self.kind_ == "gnn":
            check_gnn_params(self)
        d = check_fit_inputs(X, T, Y, edge_index, sample_weight=sample_weight, groups=groups)
        set_feature_names(self, d)
        self.degree_ = degree(d.edge_index, d.n)
        self.scaler_ = Standardizer(d.X)
        self.y_scale_ = (float(d.Y.mean()), float(d.Y.std() or 1.0))
        return d

    def _tensors(self, X, ei):
        from ..graphs._nn import graph_tensors

        return graph_tensors(self.scaler_(X), ei, resolve_device(self.device))

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
        """Fit the outcome model(s) on the graph.

        Parameters
        ----------
        Y : array-like of shape (n,)
            Outcome.
        T : array-like of shape (n,)
            Binary 0/1 treatment.
        X : array-like of shape (n, d)
            Node features (row ``i`` is node ``i``).
        edge_index : (2, E) int array, torch tensor, scipy sparse adjacency or networkx graph
            The graph.
        groups : array-like of shape (n,), optional
            Validated and otherwise unused: a plug-in learner has no standard error to make cluster-robust
            (accepted for the interface shared with :class:`GraphRLearner`).
        sample_weight : array-like of shape (n,), optional

        Returns
        -------
        self
        """
        with torch_threads(check_n_threads(self.n_threads)):
            return self._fit_arms(X, T, Y, edge_index, groups, sample_weight)

    def effect(self, X: Any = None, *, edge_index: Any = None):
        """Node-level effects: transductive without arguments, inductive on a new graph ``(X, edge_index)``.

        A DataFrame ``X`` gives a pandas Series named ``effect`` with its index, an array an ndarray.
        """
        check_is_fitted(self, "effect_")
        if X is None:
            if edge_index is not None:
                raise ValueError("edge_index given without X: pass the new graph's features too.")
            return self.effect_.copy()
        Xa = check_new_X(self, X)
        if edge_index is None:
            raise ValueError("edge_index is required with new X.")
        return pandas_like(
            self._effect_on(Xa, to_edge_index(edge_index, Xa.shape[0])), X, name="effect"
        )

    def ate(self) -> float:
        """Plug-in average treatment effect, the (weighted) mean of the fitted nodes' effects.

        A point estimate only: there is no variance formula, so these learners have no ``inference_``,
        ``summary``, ``conf_int`` or ``ate_interval`` (use :class:`GraphRLearner` for intervals).
        """
        check_is_fitted(self, "effect_")
        return float(np.average(self.effect_, weights=self.w_))


class GraphSLearner(_GraphMetaBase):
    __doc__ = (
        """S-learner on a graph: one outcome model ``mu(x, G, t)``, effect ``mu(x, G, 1) - mu(x, G, 0)``.

    The treatment enters only the GNN's head (concatenated with the node's own features and its graph
    embedding), so the message-passing layers never aggregate neighbours' treatments (the paper's "GNN
    T-learner" did, which made it an S-learner with interference built in).
"""
        + _PARAMS_DOC
        + """
    Examples
    --------
    >>> from causalkit.datasets import make_network_effect
    >>> d = make_network_effect(300, "er", random_state=0)
    >>> GraphSLearner(max_epochs=50, random_state=0).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index).effect().shape
    (300,)
    """
    )

    def _fit_arms(self, X, T, Y, edge_index, groups, sample_weight):
        """One outcome model on all nodes with the treatment as an input."""
        d = self._prepare(X, T, Y, edge_index, groups, sample_weight)
        self.w_ = d.w
        mu, sd = self.y_scale_
        if self.kind_ == "gnn":
            import torch

            g = self._tensors(d.X, d.edge_index)
            dev = g.x.device
            yz = torch.as_tensor((d.Y - mu) / sd, dtype=torch.float32, device=dev)
            w_t = torch.as_tensor(d.w / d.w.mean(), dtype=torch.float32, device=dev)
            extra = torch.as_tensor(d.T[:, None], dtype=torch.float32, device=dev)
            seed = spawn_seeds(self.random_state, 1)[0]
            module, hist = fit_gnn(
                self.model,
                g,
                mse_loss(yz, w_t),
                np.arange(d.n),
                seed,
                train=GNNTraining.of(self),
                extra=extra,
            )
            self.model_ = module.cpu()
            self.history_ = {"model": hist}
        else:
            F, self.feature_keep_ = graph_features(d.X, d.edge_index)
            self.model_ = _fit_sklearn(self.model, np.column_stack([F, d.T]), d.Y, d.w)
            self.history_ = {}
        self.effect_ = self._effect_on(d.X, d.edge_index)
        return self

    def _effect_on(self, X, ei):
        if self.kind_ == "gnn":
            import torch

            from ..graphs._nn import predict_module

            g = self._tensors(X, ei)
            mod = self.model_.to(g.x.device)
            ones = torch.ones((X.shape[0], 1), device=g.x.device)
            out = (
                self.y_scale_[1]
                * (predict_module(mod, g, ones) - predict_module(mod, g, 0 * ones))[:, 0]
            )
            self.model_.cpu()
            return out
        F, _ = graph_features(X, ei, self.feature_keep_)
        one = np.ones((X.shape[0], 1))
        return self.model_.predict(np.hstack([F, one])) - self.model_.predict(
            np.hstack([F, 0 * one])
        )


class GraphTLearner(_GraphMetaBase):
    __doc__ = (
        """T-learner on a graph: separate outcome models on the treated and on the control nodes.

    Each model sees the whole graph and all features (transductive), but its loss uses only the nodes of its arm;
    the effect is ``mu1(x, G) - mu0(x, G)``. Treatments are never model inputs.
"""
        + _PARAMS_DOC
        + """
    Examples
    --------
    >>> from causalkit.datasets import make_network_effect
    >>> d = make_network_effect(300, "er", random_state=0)
    >>> GraphTLearner(max_epochs=50, random_state=0).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index).effect().shape
    (300,)
    """
    )

    def _fit_arms(self, X, T, Y, edge_index, groups, sample_weight):
        """One outcome model per treatment arm."""
        d = self._prepare(X, T, Y, edge_index, groups, sample_weight)
        self.w_ = d.w
        mu, sd = self.y_scale_
        seeds = spawn_seeds(self.random_state, 2)
        self.models_, self.history_ = [], {}
        arms = [np.flatnonzero(d.T == 0), np.flatnonzero(d.T == 1)]
        if self.kind_ == "gnn":
            import torch

            g = self._tensors(d.X, d.edge_index)
            dev = g.x.device
            yz = torch.as_tensor((d.Y - mu) / sd, dtype=torch.float32, device=dev)
            w_t = torch.as_tensor(d.w / d.w.mean(), dtype=torch.float32, device=dev)
            for arm, idx in enumerate(arms):
                module, hist = fit_gnn(
                    self.model, g, mse_loss(yz, w_t), idx, seeds[arm], train=GNNTraining.of(self)
                )
                self.models_.append(module.cpu())
                self.history_[f"model_{arm}"] = hist
        else:
            F, self.feature_keep_ = graph_features(d.X, d.edge_index)
            for idx in arms:
                self.models_.append(_fit_sklearn(self.model, F[idx], d.Y[idx], d.w[idx]))
        self.effect_ = self._effect_on(d.X, d.edge_index)
        return self

    def _effect_on(self, X, ei):
        if self.kind_ == "gnn":
            from ..graphs._nn import predict_module

            g = self._tensors(X, ei)
            outs = []
            for mod in self.models_:
                outs.append(predict_module(mod.to(g.x.device), g)[:, 0])
                mod.cpu()
            return self.y_scale_[1] * (outs[1] - outs[0])
        F, _ = graph_features(X, ei, self.feature_keep_)
        return self.models_[1].predict(F) - self.models_[0].predict(F)
