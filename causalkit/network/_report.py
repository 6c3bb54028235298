"""Hub/periphery error analysis of node-level effect estimates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._base import check_1d, check_scalar_in_range
from ..graphs._graph import degree as _degree

__all__ = ["hub_periphery_report"]


def hub_periphery_report(
    estimator: Any,
    tau: Any,
    *,
    degree: Any = None,
    edge_index: Any = None,
    hub_quantile: float = 0.9,
    periphery_quantile: float = 0.5,
) -> pd.DataFrame:
    """Per-degree-group error of effect estimates, normalised by the group's effect variance.

    Raw per-group MSEs mislead when the effect varies more in one group than in another (in the
    neighbour-mean DGP the periphery's Var tau is several times the hubs'). The table gives, per group, the MSE,
    Var tau and their ratio (the share of the group's effect variance left unexplained; 1 = no better than the
    group's mean effect).

    Parameters
    ----------
    estimator : fitted network estimator or array-like of shape (n,)
        Its transductive ``effect()`` (and ``degree_``) are used, or the estimates themselves.
    tau : array-like of shape (n,)
        True effects.
    degree : array-like of shape (n,), optional
        Node degrees; taken from the estimator or from ``edge_index`` when omitted.
    edge_index : graph, optional
    hub_quantile, periphery_quantile : float, default 0.9, 0.5
        Hubs have degree >= the ``hub_quantile`` quantile, the periphery degree <= the ``periphery_quantile``
        quantile.

    Returns
    -------
    pandas.DataFrame
        Rows ``hub``, ``middle``, ``periphery``, ``all``; columns ``n``, ``mean_degree``, ``mse``, ``var_tau``,
        ``mse_over_var``, ``bias``.

    Examples
    --------
    >>> import numpy as np
    >>> tau = np.array([1.0, 2.0, 3.0, 4.0]); deg = np.array([1, 1, 2, 10])
    >>> hub_periphery_report(tau + 0.1, tau, degree=deg).loc["all", "mse"].round(3)
    np.float64(0.01)
    """
    tau_hat = estimator.effect() if hasattr(estimator, "effect") else estimator
    tau_hat = check_1d(tau_hat, "estimator")
    tau = check_1d(tau, "tau")
    n = tau_hat.shape[0]
    if tau.shape[0] != n:
        raise ValueError(f"tau has length {tau.shape[0]}; expected {n} (one true effect per node).")
    if degree is None:
        if edge_index is not None:
            degree = _degree(edge_index, n)
        elif getattr(estimator, "degree_", None) is not None:
            degree = estimator.degree_
        else:
            raise ValueError("degree is required (or edge_index, or a fitted graph estimator).")
    degree = check_1d(degree, "degree")
    if degree.shape[0] != n:
        raise ValueError(f"degree has length {degree.shape[0]}; expected {n}.")
    check_scalar_in_range(hub_quantile, "hub_quantile", low=0, high=1)
    check_scalar_in_range(periphery_quantile, "periphery_quantile", low=0, high=hub_quantile)
    hub_cut = np.quantile(degree, hub_quantile)
    per_cut = np.quantile(degree, periphery_quantile)
    hub = degree >= hub_cut
    per = (degree <= per_cut) & ~hub
    masks = {"hub": hub, "middle": ~hub & ~per, "periphery": per, "all": np.ones(n, bool)}
    rows = {}
    for name, m in masks.items():
        if not m.any():
            rows[name] = dict(
                n=0,
                mean_degree=np.nan,
                mse=np.nan,
                var_tau=np.nan,
                mse_over_var=np.nan,
                bias=np.nan,
            )
            continue
        err = tau_hat[m] - tau[m]
        mse = float(np.mean(err**2))
        var = float(np.var(tau[m]))
        rows[name] = dict(
            n=int(m.sum()),
            mean_degree=float(degree[m].mean()),
            mse=mse,
            var_tau=var,
            mse_over_var=mse / var if var > 0 else np.nan,
            bias=float(err.mean()),
        )
    return pd.DataFrame.from_dict(rows, orient="index")
