"""Hub/periphery error analysis of node-level effect estimates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._base import check_1d, check_scalar_in_range
from ..graphs._graph import degree as _degree

__all__ = ["hub_periphery_report"]


# magnitudes whose squares (and sums of squares over any realistic number of nodes) neither overflow nor lose
# precision to subnormals: inside this range moments are computed directly (as always), outside it after scaling
_SAFE = (1e-100, 1e100)

MIN_NODES = 4


def _pow2_scale(x: np.ndarray) -> float:
    """A power of two >= ``max|x|`` (0 for an all-zero ``x``): dividing by it is exact."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m == 0:
        return 0.0
    return float(np.ldexp(1.0, int(np.frexp(m)[1])))


def _safe(s: float) -> bool:
    return _SAFE[0] <= s <= _SAFE[1]


def _mean(x: np.ndarray) -> float:
    """Mean of finite ``x`` without overflow in the sum (values near the float64 limit)."""
    s = _pow2_scale(x)
    if s == 0 or _safe(s):
        return float(np.mean(x))
    return float(np.mean(x / s)) * s


def _mean_square(x: np.ndarray) -> tuple[float, float, float]:
    """``mean(x**2)`` as ``(value, scale, scaled)`` with ``value = scale**2 * scaled``.

    ``value`` is ``np.mean(x**2)`` when ``max|x|`` is moderate (as before) and comes from the scaled values
    otherwise, so it is accurate unless the true value overflows (inf) or underflows.
    """
    s = _pow2_scale(x)
    if s == 0:
        return 0.0, 0.0, 0.0
    scaled = float(np.mean((x / s) ** 2))
    if _safe(s):
        return float(np.mean(x**2)), s, scaled
    with np.errstate(over="ignore", under="ignore"):
        return s * s * scaled, s, scaled


def _variance(x: np.ndarray) -> tuple[float, float, float]:
    """``var(x)`` as ``(value, scale, scaled)`` like :func:`_mean_square`; ``scaled == 0`` iff x is constant."""
    if x.size == 0 or np.ptp(x) == 0:
        return 0.0, 0.0, 0.0
    s = _pow2_scale(x)
    if _safe(s):
        v = float(np.var(x))
        if v > 0:
            return v, s, float(np.var(x / s))
    c = x / s
    c = c - np.mean(c)
    cs = _pow2_scale(c)
    if cs == 0:  # pragma: no cover - x / s is exact, so a non-constant x keeps a spread
        cs = float(np.finfo(float).tiny)
    scaled = float(np.mean((c / cs) ** 2))
    with np.errstate(over="ignore", under="ignore"):
        scale = s * cs
        return scale * scale * scaled, scale, scaled


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
        Node degrees (non-negative); taken from the estimator or from ``edge_index`` when omitted.
    edge_index : graph, optional
    hub_quantile, periphery_quantile : float, default 0.9, 0.5
        Hubs have degree >= the ``hub_quantile`` quantile, the periphery degree <= the ``periphery_quantile``
        quantile.

    Returns
    -------
    pandas.DataFrame
        Rows ``hub``, ``middle``, ``periphery``, ``all`` (a group without nodes, e.g. ``middle`` when the
        degrees take only two values, is left out); columns ``n``, ``mean_degree``, ``mse``, ``var_tau``,
        ``mse_over_var``, ``bias``. ``mse_over_var`` is NaN exactly where ``var_tau`` is 0 (a group whose true
        effects are all equal, such as a one-node group); every other entry is finite.

    Raises
    ------
    ValueError
        For estimates, ``tau`` or ``degree`` of different lengths, fewer than 4 nodes, negative degrees, degrees
        that are all equal (no hub/periphery contrast), a constant ``tau`` (Var tau is zero for every group), or
        values whose MSE, Var tau or ratio exceed the float64 range (rescale ``estimator`` and ``tau``).

    Examples
    --------
    >>> import numpy as np
    >>> tau = np.array([1.0, 2.0, 3.0, 4.0]); deg = np.array([1, 1, 2, 10])
    >>> hub_periphery_report(tau + 0.1, tau, degree=deg).loc["all", "mse"].round(3)
    np.float64(0.01)
    """
    if hasattr(estimator, "effect"):
        tau_hat = check_1d(estimator.effect(), "estimator.effect()")
    else:
        tau_hat = check_1d(estimator, "estimates (estimator)")
    tau = check_1d(tau, "tau")
    n = tau_hat.shape[0]
    if tau.shape[0] != n:
        raise ValueError(
            f"estimates (estimator) has length {n} but tau has length {tau.shape[0]}; expected one true "
            "effect per estimated node."
        )
    if n < MIN_NODES:
        raise ValueError(
            f"hub_periphery_report needs at least {MIN_NODES} nodes in estimates and tau; got {n} (the degree "
            "quantiles cannot split fewer nodes into groups)."
        )
    if degree is None:
        if edge_index is not None:
            degree = _degree(edge_index, n)
        elif getattr(estimator, "degree_", None) is not None:
            degree = estimator.degree_
        else:
            raise ValueError("degree is required (or edge_index, or a fitted graph estimator).")
    if np.asarray(degree).dtype == bool:
        raise TypeError(
            "degree must hold node degrees (non-negative numbers); got a boolean array."
        )
    degree = check_1d(degree, "degree")
    if degree.shape[0] != n:
        raise ValueError(f"degree has length {degree.shape[0]}; expected {n}.")
    if np.any(degree < 0):
        raise ValueError(f"degree must be non-negative; got minimum {float(degree.min()):g}.")
    if np.ptp(degree) == 0:
        raise ValueError(
            f"degree is constant (every node has degree {float(degree[0]):g}): there is no hub/periphery "
            "contrast to report."
        )
    if np.ptp(tau) == 0:
        raise ValueError(
            f"tau is constant (every true effect is {float(tau[0]):g}): Var tau is zero in every group, so the "
            "normalised errors mse_over_var are undefined; compare the estimates to tau directly."
        )
    check_scalar_in_range(hub_quantile, "hub_quantile", low=0, high=1)
    check_scalar_in_range(periphery_quantile, "periphery_quantile", low=0, high=hub_quantile)
    with np.errstate(over="ignore", invalid="ignore"):
        err_all = tau_hat - tau
    if not np.all(np.isfinite(err_all)):
        raise ValueError(
            "estimates (estimator) - tau overflows float64 (values near 1e308); rescale both, e.g. to the "
            "units of tau's standard deviation."
        )
    hub_cut = np.quantile(degree, hub_quantile)
    per_cut = np.quantile(degree, periphery_quantile)
    hub = degree >= hub_cut
    per = (degree <= per_cut) & ~hub
    masks = {"hub": hub, "middle": ~hub & ~per, "periphery": per, "all": np.ones(n, bool)}
    rows = {}
    for name, m in masks.items():
        if not m.any():
            continue
        err = err_all[m]
        mse, e_scale, e_scaled = _mean_square(err)
        var, t_scale, t_scaled = _variance(tau[m])
        if not np.isfinite(mse):
            raise ValueError(
                f"the {name} group's mean squared error of the estimates (estimator) against tau exceeds the "
                f"float64 range (errors up to {e_scale:.3g}); rescale estimates and tau."
            )
        if not np.isfinite(var):
            raise ValueError(
                f"Var tau of the {name} group exceeds the float64 range (|tau| up to "
                f"{float(np.max(np.abs(tau[m]))):.3g}); rescale estimates and tau."
            )
        if var == 0 and t_scaled > 0:
            raise ValueError(
                f"Var tau of the {name} group underflows float64 (tau varies by only about {t_scale:.3g}); "
                "rescale estimates and tau."
            )
        if t_scaled == 0:
            ratio = np.nan  # the group's true effects are all equal (documented)
        elif _safe(e_scale) and _safe(t_scale) and var > 0:
            ratio = mse / var
        else:
            with np.errstate(over="ignore", under="ignore"):
                ratio = (e_scale / t_scale) ** 2 * (e_scaled / t_scaled)
            if not np.isfinite(ratio):
                raise ValueError(
                    f"the {name} group's mse_over_var exceeds the float64 range: tau varies by about "
                    f"{t_scale:.3g} while the estimates (estimator) miss it by up to {e_scale:.3g}; rescale "
                    "estimates and tau."
                )
        rows[name] = dict(
            n=int(m.sum()),
            mean_degree=_mean(degree[m]),
            mse=mse,
            var_tau=var,
            mse_over_var=ratio,
            bias=_mean(err),
        )
    return pd.DataFrame.from_dict(rows, orient="index")
