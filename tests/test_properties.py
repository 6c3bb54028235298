"""Property-based safety suite over the public estimators and functions (issue #12, acceptance list).

For arbitrary finite and non-finite, empty, tiny, constant, collinear, mis-shaped, mis-typed and
extreme-magnitude inputs the outcome must be one of

* a result that passes its own validity checks (finite estimates and standard errors, lower <= upper,
  partial correlations in [-1, 1], a certified Lipschitz bound >= the sampled lower bound and <= the naive
  product of norms, ...), possibly with a named :class:`~causalkit.exceptions.CausalkitWarning`;
* a ``ValueError`` or ``TypeError`` (exactly these or causalkit-defined subclasses: a ``LinAlgError`` or a
  pandas/statsmodels error is a ValueError subclass but counts as a crash here);

never another exception type, a NaN reported as an estimate, or a warning of another category (checked by the
``*_warnings`` variants). Fitting must leave the global numpy and torch RNG states alone.

Every example is built from a small "case" (mode, n, p, scale, seed) so that hypothesis shrinks to a readable,
reproducible falsifying example. Profiles (tests/conftest.py): ``default`` (derandomized, a few dozen examples
per test, the whole file well under 2 minutes on one core) and ``thorough`` (``HYPOTHESIS_PROFILE=thorough``,
used by ``make test-all``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causalkit.exceptions import CausalkitWarning

# Tests with a torch fit or an SDP solve get fewer examples than the profile's default.
_PROFILE_EXAMPLES = settings().max_examples
FEW = settings(
    max_examples=max(4, _PROFILE_EXAMPLES // 5),
    suppress_health_check=[HealthCheck.too_slow],
)
SOME = settings(
    max_examples=max(8, _PROFILE_EXAMPLES // 2),
    suppress_health_check=[HealthCheck.too_slow],
)

MODES = (
    "finite",
    "nan",
    "inf",
    "empty",
    "tiny",
    "constant",
    "collinear",
    "extreme",
    "misshaped",
    "mistyped",
    "list",
    "offset",
)
# "regular": bad values, sizes, shapes and types; "degenerate": constant or collinear columns, extreme
# magnitudes (1e-300 .. 1e300) and offsets (timestamp-like 1e10)
GROUPS = {
    "regular": ("finite", "nan", "inf", "empty", "tiny", "misshaped", "mistyped", "list"),
    "degenerate": ("constant", "collinear", "extreme", "offset"),
}


@dataclass(frozen=True)
class Case:
    """One generated input: which argument is corrupted, how, and the draws behind the data."""

    mode: str
    target: int  # index of the corrupted argument
    n: int
    scale: float
    seed: int

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        return (
            f"Case(mode={self.mode!r}, target={self.target}, n={self.n}, "
            f"scale={self.scale!r}, seed={self.seed})"
        )


def cases(n_min: int = 8, n_max: int = 40, modes=MODES) -> st.SearchStrategy[Case]:
    return st.builds(
        Case,
        mode=st.sampled_from(modes),
        target=st.integers(0, 7),
        n=st.integers(n_min, n_max),
        scale=st.sampled_from([1.0, 1e-300, 1e-8, 1e8, 1e300, -1.0]),
        seed=st.integers(0, 2**16),
    )


def corrupt(a: np.ndarray, case: Case, rng: np.random.Generator, kind: str = "real"):
    """Apply ``case.mode`` to one argument's valid value ``a`` (kinds: real, binary, positive)."""
    a = np.array(a, copy=True)
    mode = case.mode
    if mode == "finite":
        return a
    if mode in ("nan", "inf"):
        a = a.astype(float)
        k = int(rng.integers(a.size)) if a.size else 0
        if a.size:
            a.flat[k] = np.nan if mode == "nan" else np.inf * (1 if rng.random() < 0.5 else -1)
        return a
    if mode == "empty":
        return a[:0]
    if mode == "tiny":
        return a[: int(rng.integers(1, 4))]
    if mode == "constant":
        a = a.copy()
        if a.ndim == 2:
            a[:, int(rng.integers(a.shape[1]))] = a.flat[0]
        else:
            a[:] = a.flat[0]
        return a
    if mode == "collinear":
        if a.ndim == 2 and a.shape[1] >= 2:
            a = a.astype(float)
            a[:, -1] = 2.0 * a[:, 0]
            return a
        return np.column_stack([a, a]) if a.ndim == 1 else a
    if mode == "extreme":
        if kind == "binary":
            return a
        out = a.astype(float) * case.scale
        return np.abs(out) if kind == "positive" else out
    if mode == "offset":
        return a if kind == "binary" else a.astype(float) + 1e10
    if mode == "misshaped":
        r = int(rng.integers(3))
        if r == 0:
            return a[..., None]
        if r == 1:
            return a[:-1]
        return a.ravel() if a.ndim == 2 else np.column_stack([a, a, a])
    if mode == "mistyped":
        r = int(rng.integers(4))
        if r == 0:
            return a.astype(str)
        if r == 1:
            b = a.astype(object)
            b.flat[0] = "x"
            return b
        if r == 2:
            return a.astype(complex) + 1j
        return None
    if mode == "list":
        return a.tolist()
    raise AssertionError(mode)


def build(case: Case, base: dict, kinds: dict, rows: tuple = ()) -> dict:
    """Corrupt one of ``kinds``' arguments of ``base`` (``tiny`` truncates all row-aligned ones)."""
    rng = np.random.default_rng(case.seed)
    out = dict(base)
    names = list(kinds)
    name = names[case.target % len(names)]
    if case.mode == "tiny" and rows:
        k = int(rng.integers(1, 4))
        for r in rows:
            out[r] = np.asarray(base[r])[:k]
        return out
    out[name] = corrupt(base[name], case, rng, kinds[name])
    return out


# --------------------------------------------------------------------------------------------- the property
def _plain(exc: BaseException) -> bool:
    cls = type(exc)
    return cls in (ValueError, TypeError) or (
        issubclass(cls, (ValueError, TypeError)) and cls.__module__.startswith("causalkit")
    )


def outcome(call, validate, *, check_warnings: bool = False):
    """Run ``call``; assert the safety property; return the result or None after a clean error."""
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - the global state itself
    torch_state = _torch_rng()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            res = call()
        except (ValueError, TypeError) as e:
            assert _plain(e), (
                f"{type(e).__module__}.{type(e).__name__} is not a plain ValueError: {e}"
            )
            res = None
        except Exception as e:  # any other type violates the property
            raise AssertionError(f"raised {type(e).__module__}.{type(e).__name__}: {e}") from e
        if res is not None:
            validate(res)
    np_now = np.random.get_state()[1]  # noqa: NPY002
    assert np.array_equal(np_now, np_state), "global numpy RNG state changed"
    if torch_state is not None:
        import torch

        assert torch.equal(torch.get_rng_state(), torch_state), "global torch RNG state changed"
    if check_warnings:
        foreign = [
            f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
            for w in rec
            if not issubclass(w.category, (CausalkitWarning, DeprecationWarning))
        ]
        assert not foreign, f"warnings that are not CausalkitWarning: {foreign[:3]}"
    return res


def _torch_rng():
    try:
        import torch
    except ImportError:
        return None
    return torch.get_rng_state().clone()


def assert_finite(x, what: str) -> None:
    if isinstance(x, pd.DataFrame):
        x = x.select_dtypes("number").to_numpy(float)
    a = np.asarray(x, dtype=float)
    assert np.all(np.isfinite(a)), f"{what} is not finite: {a.ravel()[:6]}"


def assert_se(x, what: str) -> None:
    assert_finite(x, what)
    assert np.all(np.asarray(x, float) >= 0), f"{what} negative: {x}"


def assert_ci(lo, hi, what: str) -> None:
    assert_finite(lo, what + " lower")
    assert_finite(hi, what + " upper")
    assert np.all(np.asarray(lo) <= np.asarray(hi) + 1e-12), f"{what}: lower > upper ({lo}, {hi})"


def xfail(reason: str):
    return pytest.mark.xfail(strict=False, reason=reason)


def variants(
    xfails: dict[str, str] | None = None,
    *,
    groups: bool = True,
    outer: list | None = None,
    outer_names: str = "name",
):
    """Parametrize a property over ``outer`` targets, input groups and (core property, warnings named too).

    ``xfails`` maps an id such as ``"degenerate-core-IVLRegression"`` (``group-check[-target]``, ``core`` or
    ``warnings`` alone without groups) to the reason of a non-strict xfail: the falsifying example and the
    family that owns the fix.
    """
    xfails = dict(xfails or {})
    params = []
    for o in outer if outer is not None else [None]:
        for group in GROUPS if groups else (None,):
            for check_warnings in (False, True):
                parts = [group] if group else []
                parts.append("warnings" if check_warnings else "core")
                if o is not None:
                    parts.append(o[0] if isinstance(o, tuple) else str(o))
                pid = "-".join(parts)
                marks = [xfail(xfails.pop(pid))] if pid in xfails else []
                values = () if o is None else (o if isinstance(o, tuple) else (o,))
                values += (() if group is None else (group,)) + (check_warnings,)
                params.append(pytest.param(*values, id=pid, marks=marks))
    assert not xfails, f"xfail ids that match no test: {sorted(xfails)}"
    names = ([outer_names] if outer is not None else []) + (["group"] if groups else [])
    return pytest.mark.parametrize(", ".join([*names, "check_warnings"]), params)


# ------------------------------------------------------------------------------------------------- iv
def _iv_base(n: int, seed: int = 0) -> dict:
    r = np.random.default_rng(seed)
    Z = r.normal(size=(n, 3))
    X = Z[:, :2] + r.normal(size=(n, 2))
    return {
        "X": X,
        "y": X @ [1.0, -1.0] + r.normal(size=n),
        "instruments": Z,
        "groups": np.arange(n) % max(2, n // 2),
    }


def _check_iv(est, X):
    assert_finite(est.coef_, "coef_")
    assert_finite(est.intercept_, "intercept_")
    cov = getattr(est, "cov_", None)
    if cov is not None:
        assert_se(np.diag(np.asarray(cov)), "diag(cov_)")
    assert_finite(est.predict(X), "predict")


@variants(outer=["IVLRegression", "KClassRegression", "IVLRegressionCV"])
@settings(SOME)
@given(data=st.data())
def test_iv_estimators(name, group, check_warnings, data):
    case = data.draw(cases(modes=GROUPS[group]), label="case")
    from causalkit import iv

    kinds = {"X": "real", "y": "real", "instruments": "real"}
    if name != "IVLRegressionCV":
        kinds["groups"] = "binary"
    a = build(case, _iv_base(case.n), kinds, rows=tuple(kinds))

    def call():
        if name == "IVLRegressionCV":
            est = iv.IVLRegressionCV(cv=2, alphas=[0.1, 1.0], random_state=0).fit(
                a["X"], a["y"], instruments=a["instruments"]
            )
        else:
            est = getattr(iv, name)().fit(
                a["X"], a["y"], instruments=a["instruments"], groups=a["groups"]
            )
        return est

    outcome(call, lambda est: _check_iv(est, a["X"]), check_warnings=check_warnings)


@variants(
    {
        "degenerate-warnings": "DAIVLRegression(NullSpaceTranslation([[1, -1, 0]], strength=1e300))"
        ".fit(X + 1e10, y) emits numpy RuntimeWarning 'overflow encountered in square' (iv/_solver.py:161) "
        "before its clear ValueError; owner: iv",
    }
)
@settings(SOME)
@given(data=st.data(), strength=st.sampled_from([1.0, 0.0, -1.0, 1e300, float("nan")]))
def test_iv_data_augmentation(group, check_warnings, data, strength):
    case = data.draw(cases(modes=GROUPS[group]), label="case")
    from causalkit.iv import DAIVLRegression, NullSpaceTranslation

    r = np.random.default_rng(0)
    X = r.normal(size=(case.n, 3))
    base = {
        "X": X,
        "y": X @ [1.0, 1.0, 0.5] + r.normal(size=case.n),
        "directions": np.array([[1.0, -1.0, 0.0]]),
    }
    a = build(case, base, {"X": "real", "y": "real", "directions": "real"}, rows=("X", "y"))

    def call():
        aug = NullSpaceTranslation(a["directions"], strength=strength)
        return DAIVLRegression(aug, random_state=0).fit(a["X"], a["y"])

    outcome(call, lambda est: _check_iv(est, a["X"]), check_warnings=check_warnings)


# ----------------------------------------------------------------------------------------------- debias
ATE_TINY = (
    "DebiasedATE(LinearCalibrationDebiaser(), inference='analytic').fit([0, 0.1], [0, 1], "
    "calibration=cal, groups=[0, 1]) raises ZeroDivisionError (2 units in 2 clusters); owner: debias"
)
ATE_TINY_IPW = (
    "DebiasedATE(LinearCalibrationDebiaser(), method='ipw', inference='analytic').fit([0.1, 0.5], [0, 1], "
    "calibration=cal, propensity=[0.5, 0.5]) reports stderr_ = inf (NaN for other tiny samples) with a "
    "RuntimeWarning 'divide by zero'; owner: debias"
)
KDE_BAD = (
    "kde_score([0.0, inf], data) returns NaN for the inf point; kde_score([0.0], []) and bandwidth_rule([]) "
    "raise ZeroDivisionError ('0.0 cannot be raised to a negative power'); owner: debias"
)
KDE_BIG = "kde_score([0.0], data * 1e300, 0.5) returns [nan] with numpy overflow RuntimeWarnings; owner: debias"
ATE_BIG = (
    "DebiasedATE(LinearCalibrationDebiaser(), method='regression'|'difference', inference='analytic')"
    ".fit(predictions * 1e300, ...) reports stderr_ = inf (numpy overflow RuntimeWarnings); with "
    "calibration predictions * 1e300, method='ipw' raises OverflowError; owner: debias"
)


def _debias_base(n: int) -> dict:
    r = np.random.default_rng(1)
    tr = np.arange(n) % 2
    truth = r.normal(size=n) + tr
    cal = r.normal(size=n)
    return {
        "predictions": 0.6 * truth + r.normal(scale=0.3, size=n),
        "treatment": tr,
        "calibration_predictions": 0.6 * cal + r.normal(scale=0.3, size=n),
        "calibration_targets": cal,
        "covariates": r.normal(size=(n, 2)),
        "propensity": np.full(n, 0.5),
        "weights": r.uniform(0.5, 1.5, size=n),
        "groups": np.arange(n) % max(2, n // 2),
    }


@variants(outer=["LinearCalibrationDebiaser", "TweedieDebiaser"])
@settings(SOME)
@given(data=st.data())
def test_debiasers(name, group, check_warnings, data):
    case = data.draw(cases(modes=GROUPS[group]), label="case")
    from causalkit import debias

    base = _debias_base(case.n)
    base["new"] = base["predictions"][:10]
    a = build(
        case,
        base,
        {"calibration_predictions": "real", "calibration_targets": "real", "new": "real"},
        rows=("calibration_predictions", "calibration_targets"),
    )

    def call():
        d = getattr(debias, name)().fit(a["calibration_predictions"], a["calibration_targets"])
        return d, d.transform(a["new"])

    outcome(call, lambda r: assert_finite(r[1], "transform"), check_warnings=check_warnings)


def _check_ate(est):
    assert_finite(est.effect_, "effect_")
    assert_se(est.stderr_, "stderr_")
    assert_ci(*est.conf_int_, "conf_int_")


@variants(
    {
        "regular-core-difference": ATE_TINY,
        "regular-warnings-difference": ATE_TINY,
        "regular-core-ipw": ATE_TINY_IPW,
        "regular-warnings-ipw": ATE_TINY_IPW,
        "degenerate-core-difference": ATE_BIG,
        "degenerate-core-regression": ATE_BIG,
        "degenerate-core-ipw": ATE_BIG,
        "degenerate-warnings-difference": ATE_BIG,
        "degenerate-warnings-regression": ATE_BIG,
        "degenerate-warnings-ipw": ATE_BIG,
    },
    outer=[
        ("difference", ("weights", "groups")),
        ("regression", ("covariates",)),
        ("ipw", ("propensity",)),
    ],
    outer_names="method, extra",
)
@settings(SOME)
@given(data=st.data(), inference=st.sampled_from(["bootstrap", "analytic"]))
def test_debiased_ate(method, extra, group, check_warnings, data, inference):
    case = data.draw(cases(n_min=10, modes=GROUPS[group]), label="case")
    from causalkit.debias import DebiasedATE, LinearCalibrationDebiaser

    kinds = {"predictions": "real", "treatment": "binary"}
    kinds.update({k: ("positive" if k in ("weights", "propensity") else "real") for k in extra})
    a = build(case, _debias_base(case.n), kinds, rows=tuple(kinds))

    def call():
        est = DebiasedATE(
            LinearCalibrationDebiaser(),
            method=method,
            inference=inference,
            n_bootstrap=20,
            random_state=0,
        )
        return est.fit(
            a["predictions"],
            a["treatment"],
            calibration=(a["calibration_predictions"], a["calibration_targets"]),
            **{k: a[k] for k in extra},
        )

    outcome(call, _check_ate, check_warnings=check_warnings)


@variants(
    {
        "regular-core": KDE_BAD,
        "regular-warnings": KDE_BAD,
        "degenerate-core": KDE_BIG,
        "degenerate-warnings": KDE_BIG,
    }
)
@settings(SOME)
@given(data=st.data(), bandwidth=st.sampled_from(["scott", "silverman", 0.5, 0.0, -1.0, 1e-300]))
def test_kde_score_and_bandwidth(group, check_warnings, data, bandwidth):
    case = data.draw(cases(n_min=3, modes=GROUPS[group]), label="case")
    from causalkit.debias import bandwidth_rule, kde_score

    r = np.random.default_rng(2)
    a = build(
        case,
        {"data": r.normal(size=case.n), "points": r.normal(size=5)},
        {"data": "real", "points": "real"},
    )

    def call():
        return kde_score(a["points"], a["data"], bandwidth), bandwidth_rule(a["data"])

    def validate(res):
        assert_finite(res[0], "kde_score")
        assert_finite(res[1], "bandwidth_rule")
        assert res[1] > 0, f"bandwidth_rule {res[1]} <= 0"

    outcome(call, validate, check_warnings=check_warnings)


@variants()
@settings(FEW)
@given(data=st.data())
def test_compare_debiasers(group, check_warnings, data):
    case = data.draw(cases(n_min=10, n_max=30, modes=GROUPS[group]), label="case")
    from causalkit.debias import compare_debiasers

    base = _debias_base(case.n)
    a = build(
        case,
        base,
        {"calibration_predictions": "real", "calibration_targets": "real"},
        rows=("calibration_predictions", "calibration_targets"),
    )

    def call():
        return compare_debiasers(
            a["calibration_predictions"],
            a["calibration_targets"],
            n_splits=2,
            n_groups=2,
            random_state=0,
        )

    outcome(
        call, lambda df: assert_finite(df, "compare_debiasers table"), check_warnings=check_warnings
    )


# ----------------------------------------------------------------------------------------- compositional
def _comp(n: int, D: int = 4) -> np.ndarray:
    return np.random.default_rng(3).dirichlet(np.ones(D), size=n)


PCOR_WARN = (
    "partial_correlation(X + 1e10) (X: 4 Dirichlet rows, 4 parts) and CompositionalPartialCorrelation("
    "shrinkage=0).fit(X with part 4 = 2 * part 1) warn with a plain UserWarning 'The clr covariance is "
    "singular beyond the closure ...' (compositional/_estimator.py), not a CausalkitWarning "
    "(CollinearityWarning); owner: compositional"
)


def _check_pcor(p):
    assert_finite(p, "partial correlation")
    assert np.all(np.abs(np.asarray(p)) <= 1 + 1e-9), "partial correlation outside [-1, 1]"


@variants(
    {
        "degenerate-warnings-partial_correlation": PCOR_WARN,
        "degenerate-warnings-cov_shrink": "cov_shrink(X * 1e300) (X: 32 Dirichlet rows, 4 parts) emits numpy "
        "RuntimeWarning overflow (compositional/_core.py:252, 254) before its ValueError; owner: compositional",
    },
    outer=["closure", "clr", "alr", "ilr", "variation_matrix", "partial_correlation", "cov_shrink"],
)
@settings(SOME)
@given(data=st.data())
def test_compositional_functions(name, group, check_warnings, data):
    case = data.draw(cases(n_min=4, modes=GROUPS[group]), label="case")
    from causalkit import compositional as co

    a = build(case, {"X": _comp(case.n)}, {"X": "positive"}, rows=("X",))

    def validate(out):
        for o in out if isinstance(out, tuple) else (out,):
            assert_finite(o, name)
        if name == "partial_correlation":
            _check_pcor(out)

    outcome(lambda: getattr(co, name)(a["X"]), validate, check_warnings=check_warnings)


@variants({"degenerate-warnings": PCOR_WARN})
@settings(SOME)
@given(data=st.data(), shrinkage=st.sampled_from([None, "auto", 0.5, 0.0, 1.0, -0.5, 2.0]))
def test_compositional_partial_correlation(group, check_warnings, data, shrinkage):
    case = data.draw(cases(n_min=4, modes=GROUPS[group]), label="case")
    from causalkit.compositional import CompositionalPartialCorrelation

    a = build(case, {"X": _comp(case.n)}, {"X": "positive"}, rows=("X",))

    def call():
        est = CompositionalPartialCorrelation(
            shrinkage=shrinkage, n_bootstrap=5, n_permutations=5, random_state=0
        )
        return est.fit(a["X"])

    outcome(call, lambda est: _check_pcor(est.partial_corr_), check_warnings=check_warnings)


# -------------------------------------------------------------------------------------------- deconfound
@variants()
@settings(SOME)
@given(data=st.data())
def test_reward_deconfounder(group, check_warnings, data):
    case = data.draw(cases(n_min=10, modes=GROUPS[group]), label="case")
    from causalkit.deconfound import RewardDeconfounder

    r = np.random.default_rng(4)
    C = r.normal(size=(case.n, 2))
    F = C[:, :1] + r.normal(size=(case.n, 2))
    base = {
        "rewards": F @ [1.0, 0.5] + C[:, 0] + r.normal(size=case.n),
        "confounders": C,
        "features": F,
    }
    kinds = {"rewards": "real", "confounders": "real", "features": "real"}
    a = build(case, base, kinds, rows=tuple(kinds))

    def call():
        return RewardDeconfounder(random_state=0).fit(a["rewards"], a["confounders"], a["features"])

    def validate(est):
        assert_finite(est.coef_, "coef_")
        assert_se(est.stderr_, "stderr_")
        assert_finite(est.adjusted_rewards_, "adjusted_rewards_")
        assert_finite(est.predict(a["features"]), "predict")

    outcome(call, validate, check_warnings=check_warnings)


# ------------------------------------------------------------------------------------------------ rep4ex
def _rep4ex_base(n: int) -> dict:
    r = np.random.default_rng(5)
    A = r.uniform(-1, 1, size=(n, 1))
    Z = A + r.normal(scale=0.3, size=(n, 1))
    return {
        "X": np.hstack([Z, Z**2, r.normal(size=(n, 1))]),
        "A": A,
        "Y": Z[:, 0] ** 2 + r.normal(scale=0.1, size=n),
        "Z": Z,
    }


@variants(
    {
        "degenerate-warnings": "ControlFunctionExtrapolator().fit(Z, A * 1e300, Y) (n = 38) emits numpy "
        "RuntimeWarning 'overflow encountered in square' (numpy _methods.py) instead of a clear error or a "
        "CausalkitWarning; owner: rep4ex",
    }
)
@settings(SOME)
@given(data=st.data(), n_knots=st.sampled_from([2, 4, 12]))
def test_control_function_extrapolator(group, check_warnings, data, n_knots):
    case = data.draw(cases(n_min=8, n_max=60, modes=GROUPS[group]), label="case")
    from causalkit.rep4ex import ControlFunctionExtrapolator

    kinds = {"Z": "real", "A": "real", "Y": "real"}
    a = build(case, _rep4ex_base(case.n), kinds, rows=tuple(kinds))

    def call():
        est = ControlFunctionExtrapolator(n_knots=n_knots).fit(a["Z"], a["A"], a["Y"])
        return est, est.predict(a["Z"], a["A"])

    outcome(call, lambda r: assert_finite(r[1], "predict"), check_warnings=check_warnings)


@variants()
@settings(FEW)
@given(data=st.data())
def test_rep4ex(group, check_warnings, data):
    case = data.draw(cases(n_min=8, n_max=60, modes=GROUPS[group]), label="case")
    from causalkit.rep4ex import Rep4Ex

    kinds = {"X": "real", "A": "real", "Y": "real"}
    a = build(case, _rep4ex_base(case.n), kinds, rows=tuple(kinds))

    def call():
        est = Rep4Ex(hidden=(4,), max_epochs=2, n_knots=2, random_state=0).fit(
            a["X"], a["A"], a["Y"]
        )
        return est, est.predict(a["X"], a["A"])

    outcome(call, lambda r: assert_finite(r[1], "predict"), check_warnings=check_warnings)


# ----------------------------------------------------------------------------------------------- network
def _net_base(n: int) -> dict:
    from causalkit.graphs import erdos_renyi_graph

    r = np.random.default_rng(6)
    X = r.normal(size=(n, 2))
    T = np.arange(n) % 2
    return {
        "X": X,
        "T": T,
        "Y": X[:, 0] + T + r.normal(size=n),
        "edge_index": erdos_renyi_graph(n, 0.2, random_state=1),
        "sample_weight": r.uniform(0.5, 1.5, size=n),
    }


def _check_net(est):
    assert_finite(est.effect_, "effect_")
    assert_finite(est.effect(), "effect()")
    res = getattr(est, "ate_result_", None)
    if res is not None:
        assert_finite(res.estimate, "ATE")
        assert_ci(*res.conf_int(0.05), "ATE conf_int")


@variants(
    {
        "degenerate-warnings-BlindRLearner": "BlindRLearner().fit(X with a constant column, T, Y, "
        "edge_index=...) emits statsmodels SingularMatrixWarning (from _base/inference.py:283 ols_inference), "
        "not a CollinearityWarning; owner: network",
        "degenerate-warnings-GraphRLearner": "GraphRLearner(hidden_channels=4, max_epochs=2).fit(X, T, "
        "Y=np.ones(n), edge_index=...) emits RuntimeWarning 'divide by zero' (network/_rlearner.py:224) and "
        "returns non-zero effects (0.61, 0.49, ...) for a constant outcome; owner: network",
    },
    outer=["BlindRLearner", "GraphRLearner", "GraphSLearner", "GraphTLearner"],
)
@settings(FEW)
@given(data=st.data())
def test_network_learners(name, group, check_warnings, data):
    case = data.draw(cases(n_min=8, n_max=30, modes=GROUPS[group]), label="case")
    from causalkit import network

    kinds = {"X": "real", "T": "binary", "Y": "real", "sample_weight": "positive"}
    a = build(case, _net_base(case.n), kinds, rows=tuple(kinds))
    kw = {} if name == "BlindRLearner" else {"hidden_channels": 4, "max_epochs": 2, "patience": 1}

    def call():
        est = getattr(network, name)(random_state=0, **kw)
        return est.fit(
            a["X"], a["T"], a["Y"], edge_index=a["edge_index"], sample_weight=a["sample_weight"]
        )

    outcome(call, _check_net, check_warnings=check_warnings)


GEN_ZERO = "make_graph('er', 0, random_state=0) raises ZeroDivisionError (n = 0 nodes); owner: network (graphs)"


@st.composite
def edge_lists(draw, n_max: int = 12):
    n = draw(st.integers(0, n_max))
    m = draw(st.integers(0, 20))
    lo = draw(st.sampled_from([0, -1]))
    hi = draw(st.sampled_from([max(n - 1, 0), n, n + 5]))
    edges = draw(
        st.lists(st.tuples(st.integers(lo, hi), st.integers(lo, hi)), min_size=m, max_size=m)
    )
    shape = draw(st.sampled_from(["2xE", "Ex2", "flat"]))
    arr = np.array(edges, dtype=np.int64).reshape(-1, 2)
    arr = {"2xE": arr.T, "Ex2": arr, "flat": arr.ravel()}[shape]
    return n, arr


@variants(groups=False)
@settings(SOME)
@given(ne=edge_lists(), hops=st.sampled_from([0, 1, 2, -1]), p=st.integers(0, 3))
def test_graph_functions(check_warnings, ne, hops, p):
    from causalkit import graphs

    n, edge_index = ne
    X = np.random.default_rng(7).normal(size=(n, p))

    def call():
        out = [
            graphs.degree(edge_index, n),
            graphs.connected_components(edge_index, n),
            graphs.to_edge_index(edge_index, n),
            graphs.mean_adjacency(edge_index, n).toarray(),
            graphs.neighbour_mean(X, edge_index),
            graphs.propagate_features(X, edge_index, hops=hops),
        ]
        return out

    def validate(out):
        deg, comp, ei, A, nm, pf = out
        assert deg.shape == (n,) and np.all(deg >= 0)
        assert comp.shape == (n,)
        assert (
            ei.ndim == 2 and ei.shape[0] == 2 and (ei.size == 0 or (ei.min() >= 0 and ei.max() < n))
        )
        for name, o in (("mean_adjacency", A), ("neighbour_mean", nm), ("propagate_features", pf)):
            assert_finite(o, name)
        assert nm.shape == X.shape

    outcome(call, validate, check_warnings=check_warnings)


@variants(
    {
        "core": GEN_ZERO,
        "warnings": GEN_ZERO,
    },
    groups=False,
)
@settings(SOME)
@given(
    kind=st.sampled_from(["er", "ba", "sbm", "nope"]),
    n=st.sampled_from([0, 1, 2, 3, 10, -1]),
    mean_degree=st.sampled_from([0.0, 1.0, 6.0, 100.0, -1.0, float("nan")]),
)
def test_graph_generators(check_warnings, kind, n, mean_degree):
    from causalkit.graphs import make_graph

    def validate(ei):
        ei = np.asarray(ei)
        assert ei.ndim == 2 and ei.shape[0] == 2
        assert ei.size == 0 or (ei.min() >= 0 and ei.max() < n)

    outcome(
        lambda: make_graph(kind, n, random_state=0, mean_degree=mean_degree),
        validate,
        check_warnings=check_warnings,
    )


@variants()
@settings(SOME)
@given(data=st.data(), hub_quantile=st.sampled_from([0.9, 0.5, 1.0, 0.0, 1.5]))
def test_hub_periphery_report(group, check_warnings, data, hub_quantile):
    case = data.draw(cases(n_min=4, n_max=30, modes=GROUPS[group]), label="case")
    from causalkit.network import hub_periphery_report

    r = np.random.default_rng(8)
    base = {
        "estimates": r.normal(size=case.n),
        "tau": r.normal(size=case.n),
        "degree": r.integers(1, 6, case.n),
    }
    a = build(
        case, base, {"estimates": "real", "tau": "real", "degree": "positive"}, rows=tuple(base)
    )

    def call():
        return hub_periphery_report(
            a["estimates"], a["tau"], degree=a["degree"], hub_quantile=hub_quantile
        )

    def validate(df):
        cols = [c for c in ("n", "mean_degree", "mse", "bias") if c in df.columns]
        assert_finite(df.loc[df["n"] > 0, cols], "report")

    outcome(call, validate, check_warnings=check_warnings)


# ----------------------------------------------------------------------------------------------- solvers
@st.composite
def weight_lists(draw, scales=(1.0, 0.1, 10.0)):
    dims = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    seed = draw(st.integers(0, 2**16))
    scale = draw(st.sampled_from(scales))
    as_list = draw(st.booleans())
    r = np.random.default_rng(seed)
    Ws = [r.normal(size=(dims[k + 1], dims[k])) * scale for k in range(len(dims) - 1)]
    return Ws, [W.tolist() for W in Ws] if as_list else Ws


SOLVER_OVERFLOW = (
    "lipschitz_bound([W1 * 1e300, W2], solver='CLARABEL') (W1 4x3, W2 2x4 standard normal; also W2 * 1e300) "
    "raises OverflowError (34, 'Numerical result out of range'); owner: solvers"
)


def _check_bound(res, Ws, activation, lower_fn):
    assert_finite(res.bound, "bound")
    if res.certified:
        low = lower_fn(Ws, activation)
        assert res.bound >= low * (1 - 1e-6), (
            f"certified bound {res.bound} < sampled lower bound {low}"
        )
        assert res.bound <= res.naive_bound * (1 + 1e-6), (
            f"bound {res.bound} > naive {res.naive_bound}"
        )


def _lower(Ws, activation):
    from causalkit.solvers import sampled_lower_bound

    return sampled_lower_bound(Ws, activation=activation, n_samples=300, random_state=0)


@variants(groups=False)
@settings(SOME)
@given(w=weight_lists(), activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]))
def test_lipschitz_bound_is_sound(check_warnings, w, activation):
    from causalkit.solvers import lipschitz_bound

    Ws, given_as = w
    outcome(
        lambda: lipschitz_bound(given_as, activation=activation, solver="CLARABEL"),
        lambda res: _check_bound(res, Ws, activation, _lower),
        check_warnings=check_warnings,
    )


@variants(
    {
        "warnings": "sampled_lower_bound(weights * 1e4, activation='sigmoid') emits numpy RuntimeWarning "
        "'overflow encountered in exp' (solvers/_lower.py:22); owner: solvers",
    },
    groups=False,
)
@settings(SOME)
@given(
    w=weight_lists(scales=(1e-6, 1e-3, 300.0, 1e4)),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
)
def test_lipschitz_bound_scale(check_warnings, w, activation):
    from causalkit.solvers import lipschitz_bound

    Ws, given_as = w
    outcome(
        lambda: lipschitz_bound(given_as, activation=activation, solver="CLARABEL"),
        lambda res: _check_bound(res, Ws, activation, _lower),
        check_warnings=check_warnings,
    )


def _autograd_lower(model, d: int, n: int = 200) -> float:
    """Largest Jacobian spectral norm of a torch model at random points (a valid lower bound)."""
    import torch

    g = torch.Generator().manual_seed(0)
    best = 0.0
    for _ in range(n):
        x = torch.randn(d, generator=g, dtype=torch.float64) * 3
        J = torch.autograd.functional.jacobian(model, x)
        best = max(best, float(torch.linalg.matrix_norm(J.reshape(-1, d), ord=2)))
    return best


@variants(groups=False)
@settings(FEW)
@given(
    seed=st.integers(0, 2**16),
    act=st.sampled_from(["elu", "softplus", "relu", "tanh"]),
    param=st.sampled_from([0.1, 1.0, 5.0]),
)
def test_lipschitz_bound_torch_models(check_warnings, seed, act, param):
    torch = pytest.importorskip("torch")
    from causalkit.solvers import lipschitz_bound, sampled_lower_bound

    r = np.random.default_rng(seed)
    lin1, lin2 = torch.nn.Linear(3, 4).double(), torch.nn.Linear(4, 2).double()
    with torch.no_grad():
        lin1.weight.copy_(torch.from_numpy(r.normal(size=(4, 3))))
        lin2.weight.copy_(torch.from_numpy(r.normal(size=(2, 4))))
    mod = {
        "elu": lambda: torch.nn.ELU(alpha=param),
        "softplus": lambda: torch.nn.Softplus(beta=param),
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
    }[act]()
    model = torch.nn.Sequential(lin1, mod, lin2)
    true_low = _autograd_lower(model, 3)

    def call():
        return lipschitz_bound(model, solver="CLARABEL"), sampled_lower_bound(model, random_state=0)

    def validate(res):
        bound, low = res
        assert_finite(low, "sampled_lower_bound")
        if bound.certified:
            assert bound.bound >= true_low * (1 - 1e-6), (
                f"certified {bound.bound} < autograd lower {true_low}"
            )
            assert bound.bound >= low * (1 - 1e-6), (
                f"certified {bound.bound} < sampled_lower_bound {low}"
            )

    outcome(call, validate, check_warnings=check_warnings)


@variants(
    {
        "regular-warnings": "lipschitz_bound([W1 + 1j, W2]) casts complex weights to real with a numpy "
        "ComplexWarning (solvers/_network.py:254) and certifies the real part instead of a TypeError; "
        "owner: solvers",
        "degenerate-core": SOLVER_OVERFLOW,
        "degenerate-warnings": SOLVER_OVERFLOW,
    }
)
@settings(SOME)
@given(data=st.data())
def test_solver_inputs(group, check_warnings, data):
    case = data.draw(cases(n_min=2, n_max=4, modes=GROUPS[group]), label="case")
    from causalkit.solvers import lipschitz_bound, pattern_bound

    r = np.random.default_rng(9)
    base = {"W1": r.normal(size=(case.n, 3)), "W2": r.normal(size=(2, case.n))}
    a = build(case, base, {"W1": "real", "W2": "real"})

    def call():
        return lipschitz_bound([a["W1"], a["W2"]], solver="CLARABEL"), pattern_bound(
            [a["W1"], a["W2"]]
        )

    def validate(res):
        bound, pat = res
        assert_finite(pat, "pattern_bound")
        Ws = [np.asarray(a["W1"]).real.astype(float), np.asarray(a["W2"]).real.astype(float)]
        _check_bound(bound, Ws, "relu", _lower)

    outcome(call, validate, check_warnings=check_warnings)


# ---------------------------------------------------------------------------------------------- datasets
_DATASETS = {
    "make_linear_shrinkage": ("n_trial", {"n_calibration": 20}),
    "make_nonlinear_shrinkage": ("n_trial", {"n_calibration": 20}),
    "make_confounded_trial": ("n_trial", {"n_calibration": 20, "n_train": 30}),
    "make_ivl_toy_sem": ("n_samples", {}),
    "make_ivl_paper_sem": ("n_samples", {}),
    "make_closure_null": ("n_samples", {}),
    "make_logratio_network": ("n_samples", {}),
    "make_confounded_content": ("n", {}),
    "make_rep4ex_1d": ("n_samples", {}),
    "make_rep4ex_2d": ("n_samples", {}),
    "make_network_effect": ("n", {}),
    "make_paper_network_dgp": ("n", {}),
}


@variants(groups=False)
@settings(SOME)
@given(
    name=st.sampled_from(sorted(_DATASETS)),
    n=st.sampled_from([0, 1, 2, 5, 30, -1, 2.5, float("nan"), "10", None]),
    random_state=st.sampled_from([0, 1, -1, "seed", 1.5]),
)
def test_dataset_generators(check_warnings, name, n, random_state):
    from causalkit import datasets

    key, kw = _DATASETS[name]
    fn = getattr(datasets, name)

    def validate(bunch):
        for k, v in bunch.items():
            if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
                assert_finite(v, f"{name}().{k}")

    outcome(
        lambda: fn(**{key: n, "random_state": random_state, **kw}),
        validate,
        check_warnings=check_warnings,
    )


# ------------------------------------------------------------------------------------ global RNG state
def _rng_calls():
    """Callables with ``random_state=None``: each must leave the global numpy and torch RNGs alone."""
    from causalkit import (
        compositional,
        datasets,
        debias,
        deconfound,
        graphs,
        iv,
        network,
        rep4ex,
        solvers,
    )

    r = np.random.default_rng(10)
    X, Z = r.normal(size=(40, 2)), r.normal(size=(40, 3))
    y = X @ [1.0, -1.0] + r.normal(size=40)
    p, t = r.normal(size=40), np.arange(40) % 2
    comp = _comp(40)
    rep = _rep4ex_base(60)
    net = _net_base(30)
    W = [r.normal(size=(3, 2)), r.normal(size=(1, 3))]
    return {
        "IVLRegressionCV": lambda: iv.IVLRegressionCV(cv=2, alphas=[0.1, 1.0]).fit(
            X, y, instruments=Z
        ),
        "DAIVLRegression": lambda: iv.DAIVLRegression(
            iv.NullSpaceTranslation(np.array([[1.0, -1.0]]))
        ).fit(X, y),
        "DebiasedATE": lambda: debias.DebiasedATE(
            debias.LinearCalibrationDebiaser(), n_bootstrap=10
        ).fit(p, t, calibration=(p, y)),
        "compare_debiasers": lambda: debias.compare_debiasers(p, y, n_splits=2, n_groups=2),
        "CompositionalPartialCorrelation": lambda: compositional.CompositionalPartialCorrelation(
            n_bootstrap=5, n_permutations=5
        ).fit(comp),
        "RewardDeconfounder": lambda: deconfound.RewardDeconfounder().fit(y, Z, X),
        "Rep4Ex": lambda: rep4ex.Rep4Ex(hidden=(4,), max_epochs=1).fit(
            rep["X"], rep["A"], rep["Y"]
        ),
        "BlindRLearner": lambda: network.BlindRLearner().fit(
            net["X"], net["T"], net["Y"], edge_index=net["edge_index"]
        ),
        "GraphRLearner": lambda: network.GraphRLearner(hidden_channels=4, max_epochs=1).fit(
            net["X"], net["T"], net["Y"], edge_index=net["edge_index"]
        ),
        "sampled_lower_bound": lambda: solvers.sampled_lower_bound(W, n_samples=50),
        "erdos_renyi_graph": lambda: graphs.erdos_renyi_graph(20, 0.2),
        "make_ivl_paper_sem": lambda: datasets.make_ivl_paper_sem(30),
        "make_closure_null": lambda: datasets.make_closure_null(30),
        "make_rep4ex_1d": lambda: datasets.make_rep4ex_1d(30),
        "make_linear_shrinkage": lambda: datasets.make_linear_shrinkage(30, 20),
        "make_network_effect": lambda: datasets.make_network_effect(30),
        "make_confounded_content": lambda: datasets.make_confounded_content(30),
    }


RNG_NONE = {
    "DAIVLRegression": "iv",
    "make_closure_null": "compositional (datasets)",
    "make_confounded_content": "deconfound (datasets)",
    "make_ivl_paper_sem": "iv (datasets)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=[
                xfail(
                    f"{name}(..., random_state=None) draws from the global numpy RNG "
                    f"(check_random_state(None) is the np.random singleton); owner: {RNG_NONE[name]}"
                )
            ]
            if name in RNG_NONE
            else [],
        )
        for name in sorted(_rng_calls())
    ],
)
def test_random_state_none_leaves_global_rng(name):
    outcome(_rng_calls()[name], lambda res: None)
