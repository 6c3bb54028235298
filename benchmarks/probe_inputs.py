"""Bad-input probe of every public causalkit estimator and function (issue #12, acceptance list).

Each probe calls one public fit/estimator/function with one entry of a fixed catalogue of bad inputs (NaN, inf,
empty, 1-3 rows, constant or duplicate columns, wrong ndim or length, strings, object and bool dtypes, complex,
extreme magnitudes, offsets, lists, None, negative values where positive ones are needed, mismatched pandas
index, bad hyperparameters) and classifies what happened:

``ok-valid``         a result that passes its validity checks (finite estimates, lower <= upper, certified
                     bound >= sampled lower bound, ...) and no warning;
``named-warning``    such a result with at least one CausalkitWarning (and no foreign warning);
``clear-error``      ValueError/TypeError (exactly, or a causalkit-defined subclass) whose message names the
                     argument that was corrupted;
``unclear-error``    ValueError/TypeError whose message does not name it;
``other-exception``  any other exception type (IndexError, LinAlgError, ZeroDivisionError, KeyError,
                     RuntimeError, ...), including ValueError subclasses from numpy/scipy/pandas/statsmodels;
``nan-as-estimate``  a result whose estimate is NaN/inf;
``invalid-result``   a finite result that fails another validity check (lower > upper, bound below the
                     sampled lower bound, bound above the naive product of norms, ...);
``foreign-warning``  a valid result with a warning that is not a CausalkitWarning (RuntimeWarning, ...);
``hang``             over the per-probe time limit;
``crash``            the worker process died (e.g. a C extension called exit()).

Probes run one at a time in a ``concurrent.futures.ProcessPoolExecutor`` with one worker, each under
``signal.alarm``; a dead or stuck worker is replaced. Deterministic: every probe seeds its own Generator.

Usage::

    python benchmarks/probe_inputs.py [--out results.json] [--limit 20] [--family iv] [--list]

Run against another checkout with ``PYTHONPATH=/path/to/checkout`` (the script prints ``causalkit.__file__``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd

CLASSES = [
    "ok-valid",
    "named-warning",
    "clear-error",
    "unclear-error",
    "other-exception",
    "nan-as-estimate",
    "invalid-result",
    "foreign-warning",
    "hang",
    "crash",
]
OK_CLASSES = {"ok-valid", "named-warning", "clear-error"}
FAMILIES = [
    "debias",
    "iv",
    "compositional",
    "deconfound",
    "rep4ex",
    "network",
    "solvers",
    "graphs",
    "datasets",
]
N = 40  # rows of the valid base inputs


class Invalid(Exception):
    """Raised by a validity check: ``kind`` is 'nan' or 'invalid'."""

    def __init__(self, kind: str, what: str):
        super().__init__(what)
        self.kind = kind


# ----------------------------------------------------------------------------------------------- validity helpers
def finite(x: Any, what: str) -> None:
    a = (
        np.asarray(x, dtype=float)
        if not isinstance(x, pd.DataFrame)
        else x.select_dtypes("number").to_numpy(float)
    )
    if a.size and not np.all(np.isfinite(a)):
        raise Invalid("nan", f"{what} not finite")


def ordered(lo: Any, hi: Any, what: str) -> None:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    finite(lo, what + " lower")
    finite(hi, what + " upper")
    if np.any(lo > hi + 1e-12 * (1 + np.abs(hi))):
        raise Invalid("invalid", f"{what}: lower > upper")


def nonneg(x: Any, what: str) -> None:
    finite(x, what)
    if np.any(np.asarray(x, float) < 0):
        raise Invalid("invalid", f"{what} negative")


def relu_lower_bound(weights: list[np.ndarray], n: int = 300, seed: int = 0) -> float:
    """Largest spectral norm of the ReLU network's Jacobian over Gaussian inputs: a valid lower bound."""
    rng = np.random.default_rng(seed)
    best = 0.0
    d = weights[0].shape[1]
    for _ in range(n):
        x = rng.normal(size=d) * rng.choice([0.1, 1.0, 10.0])
        J = np.eye(d)
        h = x
        for k, W in enumerate(weights):
            z = W @ h
            J = W @ J
            if k < len(weights) - 1:
                m = (z > 0).astype(float)
                J = m[:, None] * J
                h = np.maximum(z, 0)
        best = max(best, float(np.linalg.norm(J, 2)))
    return best


# -------------------------------------------------------------------------------------------------- targets
@dataclass
class Target:
    family: str
    name: str
    base: Callable[[np.random.Generator], dict]  # valid inputs by argument name
    call: Callable[[dict], Any]  # runs it; raises Invalid if the result fails its checks
    slots: dict[
        str, str
    ]  # argument -> kind (real, real2d, positive2d, binary, groups, weights, prob, edges, int)
    rows: tuple[str, ...] = ()  # row-aligned arguments (for the tiny-sample probes)
    params: dict[str, list] = field(default_factory=dict)  # hyperparameter -> bad values


def _lin(rng, n=N, p=2):
    X = rng.normal(size=(n, p))
    return X, X @ np.arange(1.0, p + 1) + rng.normal(size=n)


def _iv(rng):
    Z = rng.normal(size=(N, 3))
    X = Z[:, :2] + rng.normal(size=(N, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=N)
    return {"X": X, "y": y, "instruments": Z, "groups": np.repeat(np.arange(20), 2)}


def _renamed(cls, kw: dict) -> dict:
    """Keyword names across versions: ``alpha``/``alphas`` became ``ivl_alpha``/``ivl_alphas``."""
    import inspect

    names = inspect.signature(cls).parameters
    out = {}
    for k, v in kw.items():
        if k not in names and f"ivl_{k}" in names:
            k = f"ivl_{k}"
        out[k] = v
    return out


def _fit_iv(cls, **kw):
    def call(a):
        groups = a.get("groups", None)
        est = cls(**_renamed(cls, kw))
        if cls.__name__ == "IVLRegressionCV":
            est.fit(a["X"], a["y"], instruments=a["instruments"])
        else:
            est.fit(a["X"], a["y"], instruments=a["instruments"], groups=groups)
        finite(est.coef_, "coef_")
        finite(est.intercept_, "intercept_")
        cov = getattr(est, "cov_", None)
        if cov is None and hasattr(est, "best_estimator_"):
            cov = getattr(est.best_estimator_, "cov_", None)
        if cov is not None:
            nonneg(np.diag(np.asarray(cov)), "diag(cov_)")
        finite(est.predict(a["X"]), "predict")
        return est

    return call


def _debias_base(rng):
    t = rng.normal(size=N)
    return {
        "predictions": 0.6 * t + rng.normal(scale=0.3, size=N),
        "targets": t,
        "new": rng.normal(size=10),
    }


def _fit_debiaser(cls):
    def call(a):
        d = cls().fit(a["predictions"], a["targets"])
        finite(d.transform(a["new"]), "transform")
        return d

    return call


def _ate_base(rng):
    tr = np.tile([0, 1], N // 2)
    truth = rng.normal(size=N) + tr
    pred = 0.6 * truth + rng.normal(scale=0.3, size=N)
    cal_t = rng.normal(size=N)
    return {
        "predictions": pred,
        "treatment": tr,
        "calibration_predictions": 0.6 * cal_t + rng.normal(scale=0.3, size=N),
        "calibration_targets": cal_t,
        "covariates": rng.normal(size=(N, 2)),
        "propensity": np.full(N, 0.5),
        "weights": rng.uniform(0.5, 1.5, size=N),
        "groups": np.repeat(np.arange(20), 2),
    }


def _fit_ate(method, use):
    def call(a):
        from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser

        kw = {k: a[k] for k in use}
        est = DebiasedATE(
            LinearCalibrationDebiaser(), method=method, n_bootstrap=30, random_state=0
        )
        est.fit(
            a["predictions"],
            a["treatment"],
            calibration=(a["calibration_predictions"], a["calibration_targets"]),
            **kw,
        )
        finite(est.effect_, "effect_")
        nonneg(est.stderr_, "stderr_")
        lo, hi = est.ate_interval()
        ordered(lo, hi, "ate_interval")
        return est

    return call


def _comp_base(rng):
    return {"X": rng.dirichlet(np.ones(4), size=N)}


def _targets() -> list[Target]:
    T: list[Target] = []
    # ------------------------------------------------------------------ debias
    from causalkit import debias as db

    for cls in (db.LinearCalibrationDebiaser, db.TweedieDebiaser):
        T.append(
            Target(
                "debias",
                cls.__name__ + ".fit",
                _debias_base,
                _fit_debiaser(cls),
                {"predictions": "real", "targets": "real", "new": "real"},
                rows=("predictions", "targets"),
            )
        )
    T.append(
        Target(
            "debias",
            "DebiasedATE(difference).fit",
            _ate_base,
            _fit_ate("difference", ("weights", "groups")),
            {
                "predictions": "real",
                "treatment": "binary",
                "calibration_predictions": "real",
                "calibration_targets": "real",
                "weights": "weights",
                "groups": "groups",
            },
            rows=("predictions", "treatment", "weights", "groups"),
            params={},
        )
    )
    T.append(
        Target(
            "debias",
            "DebiasedATE(regression).fit",
            _ate_base,
            _fit_ate("regression", ("covariates",)),
            {"covariates": "real2d", "treatment": "binary"},
            rows=("predictions", "treatment", "covariates"),
        )
    )
    T.append(
        Target(
            "debias",
            "DebiasedATE(ipw).fit",
            _ate_base,
            _fit_ate("ipw", ("propensity",)),
            {"propensity": "prob"},
            rows=("predictions", "treatment", "propensity"),
        )
    )

    def ate_params(a, **kw):
        from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser

        est = DebiasedATE(LinearCalibrationDebiaser(), random_state=0, **{"n_bootstrap": 30, **kw})
        est.fit(
            a["predictions"],
            a["treatment"],
            calibration=(a["calibration_predictions"], a["calibration_targets"]),
        )
        finite(est.effect_, "effect_")
        ordered(*est.ate_interval(), "ate_interval")
        return est

    T.append(
        Target(
            "debias",
            "DebiasedATE(params)",
            _ate_base,
            lambda a: ate_params(a, **a.get("_params", {})),
            {},
            params={
                "n_bootstrap": [0, -5, 1, 2.5, "many", None],
                "method": ["nope", None, 3],
                "inference": ["nope", None],
                "random_state": ["seed", 1.5],
            },
        )
    )

    def bw(a):
        v = db.bandwidth_rule(a["data"], a.get("_params", {}).get("rule", "scott"))
        finite(v, "bandwidth")
        if v <= 0:
            raise Invalid("invalid", "bandwidth <= 0")
        return v

    T.append(
        Target(
            "debias",
            "bandwidth_rule",
            lambda r: {"data": r.normal(size=N)},
            bw,
            {"data": "real"},
            rows=("data",),
            params={"rule": ["nope", -1.0, 0.0, float("nan"), None]},
        )
    )

    def kde(a):
        s = db.kde_score(a["points"], a["data"], **a.get("_params", {}))
        finite(s, "kde_score")
        return s

    T.append(
        Target(
            "debias",
            "kde_score",
            lambda r: {"points": r.normal(size=10), "data": r.normal(size=N)},
            kde,
            {"points": "real", "data": "real"},
            rows=("data",),
            params={"bandwidth": [-1.0, 0.0, float("nan"), "nope"], "method": ["nope", None]},
        )
    )

    def cmp(a):
        df = db.compare_debiasers(
            a["predictions"], a["targets"], n_splits=2, n_groups=2, random_state=0
        )
        finite(df, "compare_debiasers table")
        return df

    T.append(
        Target(
            "debias",
            "compare_debiasers",
            _debias_base,
            cmp,
            {"predictions": "real", "targets": "real"},
            rows=("predictions", "targets"),
        )
    )
    # ------------------------------------------------------------------ iv
    from causalkit import iv

    iv_slots = {"X": "real2d", "y": "real", "instruments": "real2d", "groups": "groups"}
    for cls, kw in (
        (iv.IVLRegression, {}),
        (iv.KClassRegression, {}),
        (iv.IVLRegressionCV, {"cv": 2, "alphas": [0.1, 1.0]}),
    ):
        T.append(
            Target(
                "iv",
                cls.__name__ + ".fit",
                _iv,
                _fit_iv(cls, **kw),
                dict(iv_slots)
                if cls is not iv.IVLRegressionCV
                else {k: iv_slots[k] for k in ("X", "y", "instruments")},
                rows=("X", "y", "instruments", "groups"),
            )
        )

    def iv_params(a):
        p = dict(a.get("_params", {}))
        cls = p.pop("_cls")
        return _fit_iv(cls, **p)(a)

    T.append(
        Target(
            "iv",
            "IVLRegression(params)",
            _iv,
            lambda a: iv_params(
                {**a, "_params": {"_cls": iv.IVLRegression, **a.get("_params", {})}}
            ),
            {},
            params={
                "alpha": [-1.0, float("nan"), float("inf"), "x", None],
                "cov_type": ["nope", 3],
                "fit_intercept": ["yes"],
            },
        )
    )
    T.append(
        Target(
            "iv",
            "KClassRegression(params)",
            _iv,
            lambda a: iv_params(
                {**a, "_params": {"_cls": iv.KClassRegression, **a.get("_params", {})}}
            ),
            {},
            params={"kappa": [-1.0, float("nan"), "nope", None, 1e300], "cov_type": ["nope"]},
        )
    )

    def daivl(a):
        aug = iv.NullSpaceTranslation(
            a["directions"], strength=a.get("_params", {}).get("strength", 1.0)
        )
        kw = {k: v for k, v in a.get("_params", {}).items() if k != "strength"}
        kw = _renamed(iv.DAIVLRegression, kw)
        est = iv.DAIVLRegression(aug, random_state=0, **kw).fit(a["X"], a["y"])
        finite(est.coef_, "coef_")
        finite(est.predict(a["X"]), "predict")
        return est

    def daivl_base(r):
        X, y = _lin(r, p=3)
        return {"X": X, "y": y, "directions": np.array([[1.0, -1.0, 0.0]])}

    T.append(
        Target(
            "iv",
            "DAIVLRegression.fit",
            daivl_base,
            daivl,
            {"X": "real2d", "y": "real", "directions": "real2d"},
            rows=("X", "y"),
            params={
                "strength": [-1.0, float("nan"), "x", 0.0],
                "alpha": [-1.0, float("nan")],
                "n_augmentations": [0, -1, 1.5],
            },
        )
    )

    def binz(a):
        out = iv.binarize_instruments(a["instruments"])
        finite(out, "binarize_instruments")
        return out

    T.append(
        Target(
            "iv",
            "binarize_instruments",
            lambda r: {"instruments": r.integers(0, 3, size=N)},
            binz,
            {"instruments": "real"},
            rows=("instruments",),
        )
    )
    # ------------------------------------------------------------------ compositional
    from causalkit import compositional as co

    def comp_fn(fn, check=None):
        def call(a):
            out = fn(a["X"], **a.get("_params", {}))
            if isinstance(out, tuple):
                for k, o in enumerate(out):
                    finite(o, f"output[{k}]")
            else:
                finite(out, "output")
            if check:
                check(out)
            return out

        return call

    def pc_check(out):
        a = np.asarray(out, float)
        if np.any(np.abs(a) > 1 + 1e-9):
            raise Invalid("invalid", "partial correlation outside [-1, 1]")

    for name, fn, chk, params in (
        ("closure", co.closure, None, {"total": [0.0, -1.0, float("nan"), "x"]}),
        ("clr", co.clr, None, {}),
        ("alr", co.alr, None, {"reference": [10, -10, 1.5, "x"]}),
        ("ilr", co.ilr, None, {"basis": ["nope", np.eye(2), np.ones((4, 3))]}),
        ("variation_matrix", co.variation_matrix, None, {}),
        (
            "partial_correlation",
            co.partial_correlation,
            pc_check,
            {"shrinkage": [-0.5, 2.0, "nope"]},
        ),
        ("cov_shrink", co.cov_shrink, None, {"shrinkage": [-0.5, 2.0, "nope"]}),
        ("check_composition", co.check_composition, None, {"min_parts": [0, -1]}),
    ):
        T.append(
            Target(
                "compositional",
                name,
                _comp_base,
                comp_fn(fn, chk),
                {"X": "positive2d"},
                rows=("X",),
                params=params,
            )
        )
    for cls in (co.ALR, co.CLR, co.ILR, co.Closure):
        T.append(
            Target(
                "compositional",
                cls.__name__ + ".fit_transform",
                _comp_base,
                (lambda c: lambda a: comp_fn(lambda X, **kw: c(**kw).fit_transform(X))(a))(cls),
                {"X": "positive2d"},
                rows=("X",),
                params={"zero_replacement": ["nope", -1.0, float("nan")]},
            )
        )

    def cpc(a):
        est = co.CompositionalPartialCorrelation(
            n_bootstrap=10, n_permutations=10, random_state=0, **a.get("_params", {})
        )
        est.fit(a["X"])
        finite(est.partial_corr_, "partial_corr_")
        pc_check(est.partial_corr_)
        return est

    T.append(
        Target(
            "compositional",
            "CompositionalPartialCorrelation.fit",
            _comp_base,
            cpc,
            {"X": "positive2d"},
            rows=("X",),
            params={
                "shrinkage": [-1.0, 2.0, "nope", float("nan")],
                "ddof": [-1, 100, 1.5],
                "n_bootstrap": [-1, "x"],
                "n_permutations": [-1],
            },
        )
    )
    T.append(
        Target(
            "compositional",
            "closure_null_partial_correlation",
            lambda r: {"variances": r.uniform(0.5, 2, size=5)},
            lambda a: comp_fn(lambda X: co.closure_null_partial_correlation(X), pc_check)(
                {"X": a["variances"]}
            ),
            {"variances": "positive"},
            rows=("variances",),
        )
    )

    def pcfc_base(r):
        A = r.normal(size=(N, 4))
        return {"cov": np.cov(A.T)}

    T.append(
        Target(
            "compositional",
            "partial_correlation_from_covariance",
            pcfc_base,
            lambda a: comp_fn(lambda X: co.partial_correlation_from_covariance(X), pc_check)(
                {"X": a["cov"]}
            ),
            {"cov": "real2d"},
        )
    )
    T.append(
        Target(
            "compositional",
            "helmert_basis",
            lambda r: {},
            lambda a: comp_fn(lambda X, **kw: co.helmert_basis(**kw))(
                {"X": 0, "_params": {"D": 4, **a.get("_params", {})}}
            ),
            {},
            params={"D": [0, 1, -3, 2.5, "x", None, 10**9]},
        )
    )
    # ------------------------------------------------------------------ deconfound
    from causalkit.deconfound import RewardDeconfounder

    def rd_base(r):
        C = r.normal(size=(N, 2))
        F = C[:, :1] + r.normal(size=(N, 2))
        return {
            "rewards": F @ [1.0, 0.5] + C[:, 0] + r.normal(size=N),
            "confounders": C,
            "features": F,
            "groups": np.repeat(np.arange(20), 2),
        }

    def rd(a):
        est = RewardDeconfounder(random_state=0, **a.get("_params", {}))
        est.fit(a["rewards"], a["features"], confounders=a["confounders"], groups=a.get("groups"))
        finite(est.coef_, "coef_")
        nonneg(est.stderr_, "stderr_")
        finite(est.adjusted_rewards_, "adjusted_rewards_")
        finite(est.predict(a["features"]), "predict")
        return est

    T.append(
        Target(
            "deconfound",
            "RewardDeconfounder.fit",
            rd_base,
            rd,
            {"rewards": "real", "confounders": "real2d", "features": "real2d", "groups": "groups"},
            rows=("rewards", "confounders", "features", "groups"),
            params={
                "method": ["nope", None],
                "cv": [0, 1, -2, 1000, "x"],
                "n_rep": [0, -1],
                "final_alpha": [-1.0, float("nan")],
                "cov_type": ["nope"],
            },
        )
    )
    # ------------------------------------------------------------------ rep4ex
    from causalkit.rep4ex import ControlFunctionExtrapolator, Rep4Ex

    def r4_base(r, n=60):  # the spline stage needs 4 * n_knots = 48 rows
        A = r.uniform(-1, 1, size=(n, 1))
        Z = A + r.normal(scale=0.3, size=(n, 1))
        X = np.hstack([Z, Z**2, r.normal(size=(n, 1))])
        return {"X": X, "A": A, "Y": Z[:, 0] ** 2 + r.normal(scale=0.1, size=n), "Z": Z}

    def r4(a):
        kw = {"hidden": (4,), "max_epochs": 2, "random_state": 0, **a.get("_params", {})}
        est = Rep4Ex(**kw).fit(a["Y"], a["A"], X=a["X"])
        finite(est.predict(a["X"], a["A"]), "predict")
        return est

    T.append(
        Target(
            "rep4ex",
            "Rep4Ex.fit",
            r4_base,
            r4,
            {"X": "real2d", "A": "real2d", "Y": "real"},
            rows=("X", "A", "Y"),
            params={
                "latent_dim": [0, -1, 1.5],
                "hidden": [(), (0,), "x"],
                "mmr_weight": [-1.0, float("nan")],
                "max_epochs": [0, -1, "x"],
                "batch_size": [0, -1, "x"],
                "lr": [0.0, -1.0, float("nan")],
                "n_init": [0],
                "bandwidth": [-1.0, 0.0, "nope"],
                "validation_fraction": [1.5, -0.1],
            },
        )
    )

    def cfe(a):
        est = ControlFunctionExtrapolator(**a.get("_params", {})).fit(a["Y"], a["A"], Z=a["Z"])
        finite(est.predict(a["Z"], a["A"]), "predict")
        return est

    T.append(
        Target(
            "rep4ex",
            "ControlFunctionExtrapolator.fit",
            r4_base,
            cfe,
            {"Z": "real2d", "A": "real2d", "Y": "real"},
            rows=("Z", "A", "Y"),
            params={
                "n_knots": [0, 1, -1, "x"],
                "ridge_alpha": [-1.0, float("nan")],
                "outcome_model": ["nope"],
            },
        )
    )
    # ------------------------------------------------------------------ network
    from causalkit import network as nw
    from causalkit.graphs import erdos_renyi_graph

    def net_base(r):
        X = r.normal(size=(N, 2))
        T_ = np.tile([0, 1], N // 2)
        return {
            "X": X,
            "T": T_,
            "Y": X[:, 0] + T_ + r.normal(size=N),
            "edge_index": erdos_renyi_graph(N, 0.15, random_state=1),
            "groups": np.repeat(np.arange(10), 4),
            "sample_weight": r.uniform(0.5, 1.5, size=N),
        }

    def net(cls, kw, with_groups):
        def call(a):
            fit_kw = {"edge_index": a["edge_index"], "sample_weight": a.get("sample_weight")}
            if with_groups:
                fit_kw["groups"] = a.get("groups")
            est = cls(random_state=0, **kw, **a.get("_params", {})).fit(
                a["Y"], a["T"], X=a["X"], **fit_kw
            )
            finite(est.effect_, "effect_")
            finite(est.effect(), "effect()")
            r = getattr(est, "inference_", None)
            if r is not None:
                finite(r.estimate, "ate estimate")
                ordered(*r.interval_bounds(0.05), "ate conf_int")
            return est

        return call

    gnn_kw = {"hidden_channels": 4, "max_epochs": 2, "patience": 1}
    net_slots = {
        "X": "real2d",
        "T": "binary",
        "Y": "real",
        "edge_index": "edges",
        "sample_weight": "weights",
    }
    for cls, kw, grp in (
        (nw.BlindRLearner, {}, True),
        (nw.GraphRLearner, gnn_kw, True),
        (nw.GraphSLearner, gnn_kw, False),
        (nw.GraphTLearner, gnn_kw, False),
    ):
        slots = dict(net_slots)
        if grp:
            slots["groups"] = "groups"
        T.append(
            Target(
                "network",
                cls.__name__ + ".fit",
                net_base,
                net(cls, kw, grp),
                slots,
                rows=("X", "T", "Y", "sample_weight") + (("groups",) if grp else ()),
                params={"n_folds": [0, 1, -1, 1000]}
                if "RLearner" in cls.__name__
                else {"max_epochs": [0, -1]},
            )
        )

    def hub(a):
        df = nw.hub_periphery_report(
            a["estimates"], a["tau"], degree=a["degree"], **a.get("_params", {})
        )
        finite(df, "report")
        return df

    T.append(
        Target(
            "network",
            "hub_periphery_report",
            lambda r: {
                "estimates": r.normal(size=N),
                "tau": r.normal(size=N),
                "degree": r.integers(1, 10, size=N),
            },
            hub,
            {"estimates": "real", "tau": "real", "degree": "positive"},
            rows=("estimates", "tau", "degree"),
            params={"hub_quantile": [1.5, -0.1, float("nan")], "periphery_quantile": [2.0]},
        )
    )
    # ------------------------------------------------------------------ solvers
    from causalkit import solvers as so

    def sol_base(r):
        return {"W1": r.normal(size=(4, 3)), "W2": r.normal(size=(2, 4))}

    def lb(a):
        W = [a["W1"], a["W2"]]
        res = so.lipschitz_bound(
            W,
            solver="CLARABEL" if "solver" not in a.get("_params", {}) else a["_params"]["solver"],
            **{k: v for k, v in a.get("_params", {}).items() if k != "solver"},
        )
        finite(res.bound, "bound")
        if res.certified:
            Ws = [np.asarray(w, float) for w in W]
            low = relu_lower_bound(Ws)
            if res.bound < low * (1 - 1e-6):
                raise Invalid(
                    "invalid", f"certified bound {res.bound:.6g} < sampled lower bound {low:.6g}"
                )
            if np.isfinite(res.naive_bound) and res.bound > res.naive_bound * (1 + 1e-6):
                raise Invalid(
                    "invalid", f"bound {res.bound:.6g} > naive bound {res.naive_bound:.6g}"
                )
        return res

    sol_slots = {"W1": "real2d", "W2": "real2d"}
    T.append(
        Target(
            "solvers",
            "lipschitz_bound",
            sol_base,
            lb,
            sol_slots,
            params={
                "activation": ["nope", None, 3],
                "method": ["nope"],
                "norm": [3, "x", -1],
                "solver": ["nope", 3],
                "output_index": [10, -10, "x"],
            },
        )
    )

    def lb_auto(a):
        res = so.lipschitz_bound([a["W1"], a["W2"]])
        finite(res.bound, "bound")
        return res

    T.append(
        Target(
            "solvers",
            "lipschitz_bound(solver=auto)",
            sol_base,
            lb_auto,
            {"W1": "real2d"},
        )
    )

    def slb(a):
        v = so.sampled_lower_bound(
            [a["W1"], a["W2"]], n_samples=200, random_state=0, **a.get("_params", {})
        )
        finite(v, "lower bound")
        return v

    T.append(
        Target(
            "solvers",
            "sampled_lower_bound",
            sol_base,
            slb,
            sol_slots,
            params={
                "n_samples": [0, -1, "x"],
                "scale": [-1.0, float("nan")],
                "activation": ["nope"],
            },
        )
    )

    def pb(a):
        v = so.pattern_bound([a["W1"], a["W2"]], **a.get("_params", {}))
        finite(v, "pattern bound")
        return v

    T.append(
        Target(
            "solvers", "pattern_bound", sol_base, pb, sol_slots, params={"max_neurons": [0, -1, 1]}
        )
    )

    def le(a):
        est = so.LipschitzEstimator(solver="CLARABEL").fit([a["W1"], a["W2"]])
        r = est.result_ if hasattr(est, "result_") else est
        finite(getattr(r, "bound", getattr(est, "bound_", np.nan)), "bound")
        return est

    T.append(Target("solvers", "LipschitzEstimator.fit", sol_base, le, {"W1": "real2d"}))

    def resid(a):
        res = so.lipschitz_bound([so.Residual(a["W1s"], a["V"])], solver="CLARABEL")
        finite(res.bound, "bound")
        return res

    T.append(
        Target(
            "solvers",
            "lipschitz_bound(Residual)",
            lambda r: {"W1s": r.normal(size=(4, 3)), "V": r.normal(size=(3, 4)) * 0.3},
            resid,
            {"W1s": "real2d", "V": "real2d"},
        )
    )
    # ------------------------------------------------------------------ graphs
    from causalkit import graphs as gr

    def g_fn(fn, *, kind="array"):
        def call(a):
            kw = a.get("_params", {})
            out = fn(a, **kw)
            if kind == "edges":
                out = np.asarray(out)
                if out.ndim != 2 or out.shape[0] != 2:
                    raise Invalid("invalid", f"edge_index shape {out.shape}")
            finite(out.toarray() if hasattr(out, "toarray") else out, "output")
            return out

        return call

    def g_base(r):
        return {
            "X": r.normal(size=(N, 2)),
            "edge_index": erdos_renyi_graph(N, 0.15, random_state=1),
            "n_nodes": N,
        }

    for name, fn in (
        ("degree", lambda a: gr.degree(a["edge_index"], a["n_nodes"])),
        ("connected_components", lambda a: gr.connected_components(a["edge_index"], a["n_nodes"])),
        ("mean_adjacency", lambda a: gr.mean_adjacency(a["edge_index"], a["n_nodes"])),
        ("to_edge_index", lambda a: gr.to_edge_index(a["edge_index"], a["n_nodes"])),
    ):
        T.append(
            Target("graphs", name, g_base, g_fn(fn), {"edge_index": "edges", "n_nodes": "int"})
        )
    T.append(
        Target(
            "graphs",
            "neighbour_mean",
            g_base,
            g_fn(lambda a: gr.neighbour_mean(a["X"], a["edge_index"])),
            {"X": "real2d", "edge_index": "edges"},
            rows=("X",),
        )
    )
    T.append(
        Target(
            "graphs",
            "propagate_features",
            g_base,
            g_fn(lambda a, **kw: gr.propagate_features(a["X"], a["edge_index"], **kw)),
            {"X": "real2d", "edge_index": "edges"},
            rows=("X",),
            params={"hops": [-1, 1.5, "x", None]},
        )
    )
    T.append(
        Target(
            "graphs",
            "graph_tensors",
            g_base,
            lambda a: gr.graph_tensors(a["X"], a["edge_index"]),
            {"X": "real2d", "edge_index": "edges"},
            rows=("X",),
        )
    )
    for name, fn, params in (
        (
            "erdos_renyi_graph",
            lambda a, **kw: gr.erdos_renyi_graph(**{"n": 20, "p": 0.2, "random_state": 0, **kw}),
            {
                "n": [0, 1, -1, 2.5, "x", None],
                "p": [-0.1, 1.5, float("nan"), "x"],
                "random_state": ["x"],
            },
        ),
        (
            "barabasi_albert_graph",
            lambda a, **kw: gr.barabasi_albert_graph(**{"n": 20, "m": 2, "random_state": 0, **kw}),
            {"n": [0, 1, 2, -1, "x"], "m": [0, -1, 25, 1.5]},
        ),
        (
            "stochastic_block_graph",
            lambda a, **kw: gr.stochastic_block_graph(
                **{"sizes": [5, 5], "p_in": 0.5, "p_out": 0.1, "random_state": 0, **kw}
            ),
            {
                "sizes": [[], [0, 5], [-1, 5], "x", [2.5, 3]],
                "p_in": [1.5, -0.1, float("nan")],
                "p_out": [2.0],
            },
        ),
        (
            "make_graph",
            lambda a, **kw: gr.make_graph(**{"kind": "ba", "n": 20, "random_state": 0, **kw}),
            {
                "kind": ["nope", None, 3],
                "n": [0, -1, "x"],
                "mean_degree": [-1.0, 0.0, float("nan"), 1e9],
            },
        ),
    ):
        T.append(Target("graphs", name, lambda r: {}, g_fn(fn, kind="edges"), {}, params=params))
    # ------------------------------------------------------------------ datasets
    from causalkit import datasets as ds

    def ds_call(fn, base_kw):
        def call(a):
            out = fn(**{**base_kw, **a.get("_params", {})})
            items = (
                out.items()
                if hasattr(out, "items")
                else enumerate(out if isinstance(out, tuple) else [out])
            )
            for k, v in items:
                if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
                    finite(v, f"output {k}")
                elif isinstance(v, list) and v and isinstance(v[0], np.ndarray):
                    for w in v:
                        finite(w, f"output {k}")
            return out

        return call

    bad_n = [0, -1, 1, 2.5, "x", None, float("nan")]
    for name, base_kw, key in (
        (
            "make_linear_shrinkage",
            {"n_trial": 50, "n_calibration": 30, "random_state": 0},
            "n_trial",
        ),
        (
            "make_nonlinear_shrinkage",
            {"n_trial": 50, "n_calibration": 30, "random_state": 0},
            "n_calibration",
        ),
        (
            "make_confounded_trial",
            {"n_trial": 50, "n_calibration": 30, "n_train": 50, "random_state": 0},
            "n_trial",
        ),
        ("make_ivl_toy_sem", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_ivl_paper_sem", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_weak_iv_sem", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_closure_null", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_logratio_network", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_confounded_content", {"n": 50, "random_state": 0}, "n"),
        ("make_confounded_texts", {"n": 50, "random_state": 0}, "n"),
        (
            "make_content_candidates",
            {"n_prompts": 10, "n_candidates": 3, "random_state": 0},
            "n_prompts",
        ),
        ("make_rep4ex_1d", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_rep4ex_2d", {"n_samples": 50, "random_state": 0}, "n_samples"),
        ("make_network_effect", {"n": 50, "random_state": 0}, "n"),
        ("make_paper_network_dgp", {"n": 50, "random_state": 0}, "n"),
        ("make_random_network", {"dims": [3, 4, 2], "random_state": 0}, "dims"),
        ("make_orthogonal_maxmin_network", {"width": 4, "depth": 2, "random_state": 0}, "width"),
        ("rep4ex_grid", {"dim": 1, "n_points": 5}, "n_points"),
    ):
        fn = getattr(ds, name)
        params = {key: bad_n if key != "dims" else [[], [3], [3, 0, 2], [3, -1], "x", None]}
        params["random_state"] = ["seed", 1.5, -1]
        T.append(Target("datasets", name, lambda r: {}, ds_call(fn, base_kw), {}, params=params))
    for name in ("rep4ex_truth_1d", "rep4ex_truth_2d", "null_space_basis"):
        fn = getattr(ds, name)
        dim = 2 if name == "rep4ex_truth_2d" else 1
        T.append(
            Target(
                "datasets",
                name,
                (
                    lambda d: (
                        lambda r: {"a": r.normal(size=(10, d)) if d == 2 else r.normal(size=10)}
                    )
                )(dim),
                (lambda f: lambda a: ds_call(lambda: f(a["a"]), {})(a))(fn),
                {"a": "real2d" if dim == 2 else "real"},
            )
        )
    return T


# -------------------------------------------------------------------------------------------- corruptions
ARRAY_CORRUPTIONS = [
    "nan",
    "inf",
    "-inf",
    "empty",
    "constant",
    "duplicate-column",
    "ndim+1",
    "ndim-1",
    "wrong-length",
    "str-dtype",
    "object-with-string",
    "bool",
    "complex",
    "x1e300",
    "x1e-300",
    "x1e8",
    "x1e-8",
    "offset+1e10",
    "list",
    "None",
    "scalar",
    "negative",
    "pandas-mismatched-index",
]
ROW_CORRUPTIONS = ["rows=1", "rows=2", "rows=3"]
KIND_EXTRA = {
    "binary": ["values-0-1-2", "all-one-arm", "float-0.5"],
    "groups": ["one-cluster", "two-clusters", "nan-group"],
    "weights": ["all-zero", "zero-on-treated"],
    "prob": ["zeros-and-ones", "above-one"],
    "edges": [
        "node-out-of-range",
        "negative-node",
        "float-nodes",
        "shape-3xE",
        "no-edges",
        "self-loops",
    ],
    "int": ["zero", "smaller-than-graph", "float", "huge"],
}


def _corrupt(v: Any, c: str, kind: str, rng: np.random.Generator) -> Any:
    if kind == "int":
        return {
            "zero": 0,
            "smaller-than-graph": 5,
            "float": 2.5,
            "huge": 10**12,
            "None": None,
            "negative": -3,
            "str-dtype": "40",
            "list": [40],
            "nan": float("nan"),
            "bool": True,
        }[c]
    a = np.array(v, copy=True)
    if c in ("nan", "inf", "-inf"):
        a = a.astype(float)
        a.flat[min(3, a.size - 1)] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[c]
        return a
    if c == "empty":
        return a[:0]
    if c == "constant":
        a = a.astype(float) if kind not in ("binary", "groups", "edges") else a
        if a.ndim == 2:
            a[:, 0] = a[0, 0]
        else:
            a[:] = a.flat[0]
        return a
    if c == "duplicate-column":
        return np.hstack([a, a[:, :1]]) if a.ndim == 2 else np.column_stack([a, a])
    if c == "ndim+1":
        return a[..., None]
    if c == "ndim-1":
        return a.ravel() if a.ndim == 2 else np.asarray(a.flat[0])
    if c == "wrong-length":
        return a[:-1] if kind != "edges" else a[:, :-1][:1]
    if c == "str-dtype":
        return a.astype(str)
    if c == "object-with-string":
        a = a.astype(object)
        a.flat[1] = "abc"
        return a
    if c == "bool":
        return a > np.median(a)
    if c == "complex":
        return a.astype(complex) + 1j
    if c.startswith("x1e"):
        return a.astype(float) * float(c[1:])
    if c == "offset+1e10":
        return a.astype(float) + 1e10
    if c == "list":
        return a.tolist()
    if c == "None":
        return None
    if c == "scalar":
        return 1.0
    if c == "negative":
        return -np.abs(a.astype(float)) - (
            1.0 if kind in ("positive", "positive2d", "weights", "prob") else 0.0
        )
    if c == "pandas-mismatched-index":
        idx = np.arange(a.shape[0])[::-1] + 1000
        return pd.DataFrame(a, index=idx) if a.ndim == 2 else pd.Series(a, index=idx)
    # kind-specific
    if c == "values-0-1-2":
        a = a.copy()
        a[:3] = 2
        return a
    if c == "all-one-arm":
        return np.ones_like(a)
    if c == "float-0.5":
        return a * 0.5
    if c == "one-cluster":
        return np.zeros_like(a)
    if c == "two-clusters":
        return np.arange(a.shape[0]) % 2
    if c == "nan-group":
        a = a.astype(float)
        a[0] = np.nan
        return a
    if c == "all-zero":
        return np.zeros_like(a, dtype=float)
    if c == "zero-on-treated":
        a = a.astype(float)
        a[1::2] = 0.0  # base treatments alternate 0, 1
        return a
    if c == "zeros-and-ones":
        a = a.astype(float)
        a[:2] = [0.0, 1.0]
        return a
    if c == "above-one":
        a = a.astype(float)
        a[0] = 1.5
        return a
    if c == "node-out-of-range":
        a = a.copy()
        a[0, 0] = 10**6
        return a
    if c == "negative-node":
        a = a.copy()
        a[0, 0] = -1
        return a
    if c == "float-nodes":
        return a.astype(float) + 0.5
    if c == "shape-3xE":
        return np.vstack([a, a[:1]])
    if c == "no-edges":
        return np.zeros((2, 0), dtype=np.int64)
    if c == "self-loops":
        return np.vstack([np.arange(N), np.arange(N)])
    raise KeyError(c)


@dataclass
class Probe:
    family: str
    target: str
    argument: str
    corruption: str


def catalogue() -> tuple[list[Target], list[tuple[int, Probe, Any]]]:
    targets = _targets()
    probes: list[tuple[int, Probe, Any]] = []
    for ti, t in enumerate(targets):
        # the valid base inputs first: a target that refuses them makes its other probes vacuous
        probes.append((ti, Probe(t.family, t.name, "-", "valid-input"), ("valid", None, None)))
        for slot, kind in t.slots.items():
            cs = (
                list(ARRAY_CORRUPTIONS)
                if kind != "int"
                else [
                    "zero",
                    "smaller-than-graph",
                    "float",
                    "huge",
                    "None",
                    "negative",
                    "str-dtype",
                    "nan",
                    "bool",
                ]
            )
            if kind == "edges":
                cs = [
                    c
                    for c in cs
                    if c
                    not in (
                        "duplicate-column",
                        "constant",
                        "x1e300",
                        "x1e-300",
                        "x1e-8",
                        "offset+1e10",
                        "complex",
                        "bool",
                        "pandas-mismatched-index",
                    )
                ]
            if kind in ("binary", "groups"):
                cs = [c for c in cs if c not in ("x1e-300", "x1e8", "x1e-8", "duplicate-column")]
            cs = list(dict.fromkeys(cs + KIND_EXTRA.get(kind, [])))
            for c in cs:
                probes.append((ti, Probe(t.family, t.name, slot, c), ("slot", slot, c)))
        if t.rows:
            for c in ROW_CORRUPTIONS:
                probes.append((ti, Probe(t.family, t.name, "+".join(t.rows), c), ("rows", None, c)))
        for p, vals in t.params.items():
            for v in vals:
                probes.append((ti, Probe(t.family, t.name, p, f"{p}={v!r}"), ("param", p, v)))
    return targets, probes


_CACHE: dict[str, Any] = {}


def _mentions(msg: str, names: list[str]) -> bool:
    low = msg.lower()
    return any(n.lower() in low for n in names if n)


ALIASES = {
    "calibration_predictions": ["calibration"],
    "calibration_targets": ["calibration", "targets"],
    "W1": ["weight", "layer", "model_or_weights", "W"],
    "W2": ["weight", "layer", "model_or_weights", "W"],
    "W1s": ["weight", "residual", "W"],
    "V": ["weight", "residual", "V"],
    "estimates": ["estimator"],
    "new": ["predictions"],
    "a": ["a_values", "coef", "a"],
    "variances": ["variances"],
    "cov": ["cov"],
    "n_nodes": ["nodes"],
}


def run_one(index: int, time_limit: int = 20) -> tuple[str, str]:
    """Run probe ``index`` of the catalogue in this process; return (class, detail)."""
    if "cat" not in _CACHE:
        _CACHE["cat"] = catalogue()
    targets, probes = _CACHE["cat"]
    ti, probe, (how, arg, c) = probes[index]
    t = targets[ti]
    rng = np.random.default_rng(12345 + index)
    base = t.base(np.random.default_rng(0))
    inputs = dict(base)
    names = [probe.argument, *ALIASES.get(probe.argument, [])]
    if how == "slot":
        inputs[arg] = _corrupt(base[arg], c, t.slots[arg], rng)
        if c == "pandas-mismatched-index":
            for r in t.rows:
                if r != arg and isinstance(inputs.get(r), np.ndarray):
                    inputs[r] = (
                        pd.DataFrame(inputs[r]) if inputs[r].ndim == 2 else pd.Series(inputs[r])
                    )
    elif how == "valid":
        pass
    elif how == "rows":
        k = int(c.split("=")[1])
        for r in t.rows:
            inputs[r] = np.asarray(base[r])[:k]
        names = [
            *list(t.rows),
            "sample",
            "rows",
            "observations",
            "n_samples",
            "at least",
            "too few",
        ]
    else:
        inputs["_params"] = {arg: c}
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(time_limit)
    try:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            t.call(inputs)
    except _Hang:
        return "hang", f"over {time_limit}s (alarm)"
    except Invalid as e:
        return ("nan-as-estimate" if e.kind == "nan" else "invalid-result"), str(e)
    except (ValueError, TypeError) as e:
        cls = type(e)
        msg = f"{cls.__name__}: {e}"
        plain = cls in (ValueError, TypeError) or cls.__module__.startswith("causalkit")
        if not plain:
            return "other-exception", msg[:300] + " @ " + _where(e)
        return ("clear-error" if _mentions(str(e), names) else "unclear-error"), msg[:300]
    except Exception as e:
        return (
            "other-exception",
            f"{type(e).__module__}.{type(e).__name__}: {str(e)[:300]} @ {_where(e)}",
        )
    finally:
        signal.alarm(0)
    from causalkit.exceptions import CausalkitWarning

    ck = [w for w in rec if issubclass(w.category, CausalkitWarning)]
    foreign = [
        w
        for w in rec
        if not issubclass(w.category, CausalkitWarning)
        and not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    if foreign:
        w = foreign[0]
        return (
            "foreign-warning",
            f"{w.category.__name__}: {str(w.message)[:200]} ({os.path.basename(w.filename)}:{w.lineno})",
        )
    if ck:
        return "named-warning", "; ".join(sorted({w.category.__name__ for w in ck}))
    return "ok-valid", ""


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    ours = [f for f in tb if "causalkit" in f.filename and "probe_inputs" not in f.filename]
    f = ours[-1] if ours else (tb[-1] if tb else None)
    return f"{os.path.basename(f.filename)}:{f.lineno}" if f else "?"


class _Hang(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _Hang()


def _init_worker() -> None:
    import causalkit  # noqa: F401

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    _CACHE["cat"] = catalogue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="write all probe outcomes as JSON here")
    ap.add_argument("--family", default=None)
    ap.add_argument("--limit", type=int, default=20, help="seconds per probe")
    ap.add_argument("--list", action="store_true", help="list the probes and exit")
    ap.add_argument(
        "--report",
        nargs=2,
        metavar=("BEFORE_JSON", "AFTER_JSON"),
        help="write a markdown comparison of two --out files to --md and exit",
    )
    ap.add_argument("--labels", nargs=2, default=("before", "after"), help="names of the two runs")
    ap.add_argument("--md", default="benchmarks/results/probe_inputs.md")
    args = ap.parse_args(argv)
    if args.report:
        runs = []
        for path in args.report:
            with open(path) as fh:
                runs.append(json.load(fh))
        with open(args.md, "w") as fh:
            fh.write(report_md(runs, args.labels))
        print(f"wrote {args.md}")
        return 0

    import causalkit

    print(f"causalkit from {causalkit.__file__}", flush=True)
    _, probes = catalogue()
    todo = [i for i, (_, p, _) in enumerate(probes) if args.family in (None, p.family)]
    if args.list:
        for i in todo:
            print(i, probes[i][1])
        return 0
    ctx = mp.get_context("spawn")
    pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker)
    results = []
    t0 = time.time()
    for k, i in enumerate(todo):
        p = probes[i][1]
        try:
            fut = pool.submit(run_one, i, args.limit)
            cls, detail = fut.result(timeout=args.limit + 60)
        except cf.TimeoutError:
            cls, detail = "hang", f"over {args.limit + 60}s (worker stuck)"
            for proc in list(pool._processes.values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker)
        except cf.process.BrokenProcessPool:
            cls, detail = "crash", "worker process died"
            pool.shutdown(wait=False, cancel_futures=True)
            pool = cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_init_worker)
        results.append({"index": i, **p.__dict__, "outcome": cls, "detail": detail})
        if (k + 1) % 100 == 0:
            print(f"  {k + 1}/{len(todo)} probes, {time.time() - t0:.0f}s", flush=True)
    pool.shutdown()
    elapsed = time.time() - t0
    print(f"{len(results)} probes in {elapsed:.0f}s")
    print(render(results))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(
                {"causalkit": causalkit.__file__, "elapsed_s": elapsed, "results": results},
                fh,
                indent=1,
            )
    return 0


def _table(results: list[dict]) -> list[str]:
    tot = Counter(r["outcome"] for r in results)
    fam: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        fam[r["family"]][r["outcome"]] += 1
    lines = [
        "| family | probes | " + " | ".join(CLASSES) + " |",
        "| --- | ---: |" + " ---: |" * len(CLASSES),
    ]
    for f in [*FAMILIES, "all"]:
        c = tot if f == "all" else fam.get(f, Counter())
        lines.append(
            f"| {f} | {sum(c.values())} | " + " | ".join(str(c.get(k, 0)) for k in CLASSES) + " |"
        )
    return lines


def report_md(runs: list[dict], labels) -> str:
    """Markdown with both runs' tables, the class definitions and the probes still not ok after."""
    doc = (__doc__ or "").split("Probes run one at a time")[0].strip().splitlines()
    out = [
        "# Bad-input probe (issue #12 acceptance list)",
        "",
        "`benchmarks/probe_inputs.py`: every public estimator and function of `causalkit.debias`, `.iv`,",
        "`.compositional`, `.deconfound`, `.rep4ex`, `.network`, `.solvers`, `.graphs` and `.datasets`, called with",
        "a fixed catalogue of bad inputs (one corrupted argument per probe, or 1-3 rows of every row-aligned one,",
        "or one bad hyperparameter). One worker process, 20 s per probe (`signal.alarm`), deterministic.",
        "",
        "## Outcome classes",
        "",
        "```text",
        *(doc[doc.index("") + 1 :] if "" in doc else doc),
        "```",
        "",
    ]
    for run, label in zip(runs, labels):
        res = run["results"]
        c = Counter(r["outcome"] for r in res)
        ok = sum(c[k] for k in OK_CLASSES)
        out += [
            f"## {label}",
            "",
            f"causalkit from `{run['causalkit']}`; {len(res)} probes in {run['elapsed_s']:.0f} s; "
            f"{ok} of {len(res)} ok (ok-valid, named-warning or clear-error).",
            "",
            *_table(res),
            "",
        ]
    before = {(r["target"], r["argument"], r["corruption"]): r for r in runs[0]["results"]}
    after = runs[-1]["results"]
    fixed = [
        r
        for r in after
        if r["outcome"] in OK_CLASSES
        and before.get((r["target"], r["argument"], r["corruption"]), {}).get("outcome")
        not in OK_CLASSES
    ]
    broke = [
        r
        for r in after
        if r["outcome"] not in OK_CLASSES
        and before.get((r["target"], r["argument"], r["corruption"]), {}).get("outcome")
        in OK_CLASSES
    ]
    out += [
        f"## Change from {labels[0]} to {labels[-1]}",
        "",
        f"{len(fixed)} probes moved into an ok class, {len(broke)} moved out of one.",
        "",
    ]
    if broke:
        out += ["Moved out of an ok class:", ""]
        out += [
            f"- [{r['outcome']}] {r['target']} `{r['argument']}` {r['corruption']}: {r['detail']}"
            for r in broke
        ]
        out.append("")
    for run, label in zip(runs, labels):
        bad = [
            r
            for r in run["results"]
            if r["corruption"] == "valid-input"
            and r["outcome"] not in ("ok-valid", "named-warning")
        ]
        out += [f"Targets refusing their valid base inputs in {label}: {len(bad)}", ""]
        out += [f"- {r['target']}: [{r['outcome']}] {r['detail']}" for r in bad]
        out.append("")
    out += [f"## Not ok in {labels[-1]}", ""]
    out += [
        f"- [{r['outcome']}] {r['target']} `{r['argument']}` {r['corruption']}: {r['detail']}"
        for r in after
        if r["outcome"] not in OK_CLASSES
    ]
    return "\n".join(out) + "\n"


def render(results: list[dict]) -> str:
    tot = Counter(r["outcome"] for r in results)
    fam: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        fam[r["family"]][r["outcome"]] += 1
    lines = [
        "| family | probes | " + " | ".join(CLASSES) + " |",
        "| --- | ---: |" + " ---: |" * len(CLASSES),
    ]
    for f in [*FAMILIES, "all"]:
        c = tot if f == "all" else fam.get(f, Counter())
        n = sum(c.values())
        lines.append(f"| {f} | {n} | " + " | ".join(str(c.get(k, 0)) for k in CLASSES) + " |")
    lines.append("")
    lines.append("Not ok (outside ok-valid, named-warning, clear-error):")
    for r in results:
        if r["outcome"] not in OK_CLASSES:
            lines.append(
                f"- [{r['outcome']}] {r['target']} {r['argument']} {r['corruption']}: {r['detail']}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
