"""Issue #12 regression tests for the debiasing family: clusters, collinearity, degenerate samples,
feature names, named warnings and nearby degenerate inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from causalkit.datasets import make_linear_shrinkage
from causalkit.debias import (
    DebiasedATE,
    LinearCalibrationDebiaser,
    TweedieDebiaser,
    compare_debiasers,
)
from causalkit.exceptions import (
    CalibrationWarning,
    CausalkitWarning,
    ClusterWarning,
    CollinearityWarning,
    ExtrapolationWarning,
    OverlapWarning,
    SolverWarning,
)


@pytest.fixture(scope="module")
def data():
    return make_linear_shrinkage(600, 400, random_state=3)


def _cal(d):
    return (d.calibration_predictions, d.calibration_targets)


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return est.fit(*args, **kwargs)


# -- item 10: one or two clusters ---------------------------------------------------------------------
@pytest.mark.parametrize("inference", ["bootstrap", "analytic"])
def test_one_cluster_is_refused(data, inference):
    """One cluster: the bootstrap used to report a CI from the calibration resampling alone (too narrow),
    the analytic SE raised ZeroDivisionError."""
    est = DebiasedATE(
        LinearCalibrationDebiaser(), inference=inference, n_bootstrap=50, random_state=0
    )
    with pytest.raises(ValueError, match="groups has 1 distinct cluster"):
        _quiet_fit(
            est, data.predictions, data.treatment, calibration=_cal(data), groups=np.zeros(600)
        )


def test_few_clusters_warn(data):
    groups = np.arange(600) % 10
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=30, random_state=0)
    with pytest.warns(ClusterWarning, match="only 10 clusters") as rec:
        _quiet_fit(est, data.predictions, data.treatment, calibration=_cal(data), groups=groups)
    # the warning points at this file (the user's call), not at causalkit internals
    assert any(r.filename == __file__ for r in rec if issubclass(r.category, ClusterWarning))
    assert est.bootstrap_dropped_ == 0


def test_two_arm_pure_clusters_count_and_warn_dropped_replicates(data):
    """Two clusters, one treated and one control: a replicate that draws the same cluster twice has one arm.
    About half the replicates were dropped silently; now they are counted and warned about."""
    a = np.r_[np.zeros(300), np.ones(300)]
    groups = a.astype(int)
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=200, random_state=0)
    with pytest.warns(ClusterWarning) as rec:
        _quiet_fit(est, data.predictions, a, calibration=_cal(data), groups=groups)
    messages = [str(r.message) for r in rec if issubclass(r.category, ClusterWarning)]
    assert any("only 2 clusters" in m for m in messages)
    dropped = est.bootstrap_dropped_
    assert 0.35 * 200 < dropped < 0.65 * 200  # binomial(200, 1/2): 0.35-0.65 is > 4 SD
    assert any(f"{dropped} of 200 bootstrap replicates" in m for m in messages)
    assert est.bootstrap_effects_.shape == (200 - dropped, 2)
    assert est.inference_.info["Bootstrap replicates dropped"] == dropped


def test_dropped_replicates_without_clusters_warn(data):
    """Two treated units: a resample lacks both with probability (1 - 2/n)^n ~ 0.135."""
    a = np.zeros(600)
    a[:2] = 1
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=100, random_state=0)
    with pytest.warns(OverlapWarning, match=r"\d+ of 100 bootstrap replicates .*lost an arm"):
        _quiet_fit(est, data.predictions, a, calibration=_cal(data))
    assert 4 < est.bootstrap_dropped_ < 30


# -- item 11: collinear and constant covariates in method="regression" -------------------------------
def _regression(d, covariates, inference="analytic", **kw):
    est = DebiasedATE(
        LinearCalibrationDebiaser(),
        method="regression",
        inference=inference,
        n_bootstrap=kw.pop("n_bootstrap", 50),
        random_state=0,
    )
    return _quiet_fit(
        est, d.predictions, d.treatment, calibration=_cal(d), covariates=covariates, **kw
    )


@pytest.mark.parametrize("inference", ["analytic", "bootstrap"])
def test_covariate_equal_to_treatment_is_refused(data, inference):
    """A covariate equal to the treatment used to halve the effect silently (min-norm split)."""
    x = np.random.default_rng(0).normal(size=600)
    frame = pd.DataFrame({"age": x, "treated_copy": data.treatment})
    with pytest.raises(
        ValueError, match=r"treatment is collinear with covariates \['treated_copy'\]"
    ):
        _regression(data, frame, inference)
    with pytest.raises(ValueError, match=r"covariates \['column 1'\]"):
        _regression(data, np.column_stack([x, 1 - data.treatment]), inference)
    near = data.treatment + 1e-12 * np.random.default_rng(1).normal(size=600)
    with pytest.raises(ValueError, match=r"covariates \['column 0'\]"):
        _regression(data, near[:, None], inference)


def test_redundant_covariates_are_dropped_with_a_warning(data):
    x = np.random.default_rng(0).normal(size=600)
    ref = _regression(data, x[:, None])
    frame = pd.DataFrame({"x": x, "const": 3.0, "x_twice": 2 * x - 1})
    with pytest.warns(CollinearityWarning, match=r"dropped covariates \['const', 'x_twice'\]"):
        est = _regression(data, frame)
    assert est.effect_ == pytest.approx(ref.effect_, abs=1e-10)
    assert est.stderr_ == pytest.approx(ref.stderr_, rel=1e-8)
    # the effect is the LCC-corrected OLS coefficient: the naive one divided by the slope (spec identity)
    assert est.effect_ == pytest.approx(est.naive_effect_ / est.debiaser_.slope_, rel=1e-10)


def test_bootstrap_replicates_with_a_collinear_design_are_dropped(data):
    """x equals the treatment except on one unit: the full design is identified, a resample without that
    unit is not (its coefficient used to be split in half silently)."""
    x = data.treatment.copy()
    x[0] = 1 - x[0]
    est = DebiasedATE(
        LinearCalibrationDebiaser(), method="regression", n_bootstrap=100, random_state=0
    )
    with pytest.warns(CollinearityWarning, match=r"\d+ of 100 bootstrap replicates .*collinear"):
        _quiet_fit(est, data.predictions, data.treatment, calibration=_cal(data), covariates=x)
    assert 20 < est.bootstrap_dropped_ < 55  # (1 - 1/600)^600 ~ 0.37
    assert np.all(np.isfinite(est.bootstrap_effects_))


def test_extreme_covariate_magnitudes_do_not_change_the_effect(data):
    x = np.random.default_rng(0).normal(size=600)
    ref = _regression(data, x[:, None])
    for shift, scale in [(1e10, 1.0), (0.0, 1e12), (0.0, 1e-12), (0.0, 1e300), (0.0, 1e-300)]:
        est = _regression(data, (shift + scale * x)[:, None])
        assert est.effect_ == pytest.approx(ref.effect_, rel=1e-8)
        assert est.stderr_ == pytest.approx(ref.stderr_, rel=1e-6)


# -- item 12: tiny and degenerate samples ----------------------------------------------------------------
@pytest.mark.parametrize("inference", ["analytic", "bootstrap"])
@pytest.mark.parametrize("arm", [0, 1])
def test_zero_weight_arm_is_refused(data, inference, arm):
    """A zero-weight arm gave a silent NaN effect (analytic) or an IndexError (bootstrap)."""
    w = np.ones(600)
    w[data.treatment == arm] = 0
    est = DebiasedATE(
        LinearCalibrationDebiaser(), inference=inference, n_bootstrap=20, random_state=0
    )
    which = "treated" if arm == 1 else "control"
    with pytest.raises(ValueError, match=f"weights are zero for every {which} unit"):
        _quiet_fit(est, data.predictions, data.treatment, calibration=_cal(data), weights=w)


def test_bootstrap_where_every_replicate_loses_an_arm_is_a_value_error(data):
    """Two arm-pure clusters and 3 replicates that (seed 0) each draw one cluster twice: was IndexError."""
    a = np.r_[np.zeros(300), np.ones(300)]
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=3, random_state=0)
    with pytest.warns(ClusterWarning, match="only 2 clusters"):
        with pytest.raises(ValueError, match=r"only 0 of 3 bootstrap replicates could be computed"):
            _quiet_fit(est, data.predictions, a, calibration=_cal(data), groups=a)


@pytest.mark.parametrize(
    ("n", "n_groups", "binary"),
    [(300, 5, True), (10, 5, False), (300, 100, False)],
)
def test_compare_debiasers_has_no_nan_for_empty_groups(n, n_groups, binary):
    """Ties in the targets (a binary truth) or folds smaller than n_groups left truth-quantile groups empty:
    NaN columns (group_bias_mae, bottom_bias, contrast_ratio)."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=n)
    if binary:
        y = (y > 1.5).astype(float)
    p = 0.6 * y + rng.normal(scale=0.3, size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        table = compare_debiasers(p, y, n_groups=n_groups, random_state=0)
    assert np.all(np.isfinite(table.to_numpy())), table
    if binary:
        # two groups, {0} and {1}: the contrast ratio is the slope of the group means on the truth
        naive = table.loc["naive"]
        assert naive["contrast_ratio"] == pytest.approx(naive["slope"], rel=1e-10)
        assert abs(table.loc["lcc", "contrast_ratio"] - 1) < 0.1


def test_compare_debiasers_warns_about_merged_groups():
    rng = np.random.default_rng(0)
    y = (rng.normal(size=300) > 1.5).astype(float)
    p = 0.6 * y + rng.normal(scale=0.3, size=300)
    with pytest.warns(CalibrationWarning, match="only 2 of the 5 truth-quantile groups"):
        compare_debiasers(p, y, debiasers={"naive": None}, random_state=0)


def test_compare_debiasers_fold_with_constant_targets_is_a_value_error():
    y = np.r_[0.0, 1.0, np.zeros(4)]
    p = y + np.arange(6) * 0.01
    with pytest.raises(ValueError, match=r"targets is constant in a held-out fold"):
        compare_debiasers(p, y, debiasers={"naive": None}, n_groups=2, random_state=0)


# -- item 13: feature names stored at fit are checked at transform ------------------------------------------
@pytest.mark.parametrize("make", [LinearCalibrationDebiaser, TweedieDebiaser])
def test_debiaser_checks_feature_names(data, make):
    p, y = _cal(data)
    est = make().fit(pd.DataFrame({"pred": p}), y)
    assert list(est.feature_names_in_) == ["pred"]
    frame = pd.DataFrame({"pred": data.predictions})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        out = est.transform(frame)  # pandas in, pandas out
        assert isinstance(out, pd.DataFrame) and out.index.equals(frame.index)
        np.testing.assert_array_equal(
            out.to_numpy().ravel(), est.transform(data.predictions).ravel()
        )
    with pytest.raises(
        ValueError, match=r"predictions has columns \['wealth'\], but fit saw \['pred'\]"
    ):
        est.transform(pd.DataFrame({"wealth": data.predictions}))
    if make is TweedieDebiaser:
        with pytest.raises(ValueError, match="fit saw"):
            est.score_function(pd.DataFrame({"wealth": data.predictions}))
    # refitting on an array forgets the names (as scikit-learn does)
    est.fit(p, y)
    assert not hasattr(est, "feature_names_in_")


def test_debiased_ate_checks_names_against_a_prefit_debiaser(data):
    p, y = _cal(data)
    deb = LinearCalibrationDebiaser().fit(pd.DataFrame({"pred": p}), y)
    est = DebiasedATE(deb, inference="analytic")
    with pytest.raises(ValueError, match=r"predictions has columns \['other'\]"):
        est.fit(pd.DataFrame({"other": data.predictions}), data.treatment)
    ok = _quiet_fit(est, pd.DataFrame({"pred": data.predictions}), data.treatment)
    assert ok.effect_ == pytest.approx(_quiet_fit(est, data.predictions, data.treatment).effect_)


# -- named warnings, pointing at the user's call; internal filters narrowed ---------------------------------
def _caught(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, rec


def test_every_warning_is_named_and_points_at_the_caller(data):
    p, y = _cal(data)
    _, rec = _caught(LinearCalibrationDebiaser().fit, p[:50], y[:50])
    _, rec2 = _caught(TweedieDebiaser().fit, 0.2 + 0.6 * y, y)  # classical error: not calibrated
    lcc = LinearCalibrationDebiaser().fit(p, y)
    _, rec3 = _caught(lcc.transform, [p.max() + 1.0])
    est = DebiasedATE(TweedieDebiaser(), inference="analytic")
    far = data.predictions.copy()
    far[0] = p.max() + 1.0
    _, rec4 = _caught(est.fit, far, data.treatment, calibration=_cal(data))
    from causalkit.debias import kde_score

    _, rec5 = _caught(kde_score, [0.0], np.r_[np.zeros(10), 1e7], 1e-3)
    expected = [
        (rec, CalibrationWarning, "only 50 calibration pairs"),
        (rec2, CalibrationWarning, "not calibrated"),
        (rec3, ExtrapolationWarning, "outside the calibration support"),
        (rec4, ExtrapolationWarning, "2 of 600 predictions lie outside"),
        (rec5, SolverWarning, "grid is capped"),
    ]
    for got, category, text in expected:
        hits = [r for r in got if text in str(r.message)]
        assert hits, (text, [str(r.message) for r in got])
        assert all(issubclass(r.category, category) for r in hits)
        assert all(r.filename == __file__ for r in hits), [r.filename for r in hits]
    for got, *_ in expected:
        assert all(issubclass(r.category, CausalkitWarning) for r in got), [r.category for r in got]


class _LoudWarning(UserWarning):
    pass


class _LoudDebiaser(LinearCalibrationDebiaser):
    """A user's debiaser with its own warning (a failing assumption the user must see)."""

    def transform(self, predictions):
        warnings.warn("my assumption fails", _LoudWarning, stacklevel=2)
        return super().transform(predictions)


def test_internal_filters_do_not_swallow_a_users_warnings(data):
    est = DebiasedATE(_LoudDebiaser(), n_bootstrap=20, random_state=0)
    _, rec = _caught(est.fit, data.predictions, data.treatment, calibration=_cal(data))
    msgs = [str(r.message) for r in rec]
    # the main fit's own warning, and one summary of the 20 replicates (was: all swallowed but the first)
    assert any(r.category is _LoudWarning for r in rec)
    assert "20 of 20 bootstrap replicates warned (_LoudWarning): my assumption fails" in msgs
    assert all(issubclass(r.category, CausalkitWarning) or r.category is _LoudWarning for r in rec)
    p, y = _cal(data)
    _, rec = _caught(compare_debiasers, p, y, {"loud": _LoudDebiaser()}, random_state=0)
    assert sum(r.category is _LoudWarning for r in rec) == 5  # once per fold (was: swallowed)


def test_dask_analytic_ate_warns_about_extrapolation(data):
    da = pytest.importorskip("dask.array")
    p, y = _cal(data)
    lcc = LinearCalibrationDebiaser().fit(p, y)
    far = data.predictions.copy()
    far[:3] = p.max() + 1.0
    est = DebiasedATE(lcc, inference="analytic")
    with pytest.warns(ExtrapolationWarning, match=r"\d+ of 600 predictions lie outside") as rec:
        est.fit(da.from_array(far, chunks=150), da.from_array(data.treatment, chunks=150))
    assert any(r.filename == __file__ for r in rec)
    ref = DebiasedATE(lcc, inference="analytic")
    _quiet_fit(ref, far, data.treatment)
    assert est.effect_ == pytest.approx(ref.effect_, rel=1e-12)


# -- probes: tiny arms and extreme magnitudes ------------------------------------------------------------
@pytest.mark.parametrize(
    ("p", "a", "kw"),
    [
        ([0.1, 0.5], [0, 1], {"inference": "analytic"}),  # SE was NaN
        ([0.1, 0.5], [0, 1], {"inference": "analytic", "method": "ipw"}),  # SE was inf
        ([0.1, 0.5], [0, 1], {"inference": "bootstrap"}),  # SE from one unit per arm
        ([0.1, 0.5, 0.3], [0, 1, 1], {"inference": "analytic"}),  # control variance missing
        ([0.0, 0.1], [0, 1], {"inference": "analytic", "groups": [0, 1]}),  # was ZeroDivisionError
    ],
)
def test_an_arm_with_one_unit_is_refused(data, p, a, kw):
    kw = dict(kw)
    extra = {k: kw.pop(k) for k in ("groups",) if k in kw}
    if kw.get("method") == "ipw":
        extra["propensity"] = np.full(len(p), 0.5)
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=20, random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusterWarning)
        with pytest.raises(ValueError, match="at least 2 units with positive weight in each arm"):
            _quiet_fit(est, p, a, calibration=_cal(data), **extra)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e150])
@pytest.mark.parametrize("method", ["difference", "regression", "ipw"])
def test_ate_is_equivariant_at_extreme_magnitudes(data, scale, method):
    """Predictions and calibration in units 1e300 / 1e-300: the LCC effect and its SE scale exactly.
    Was: stderr_ inf with overflow warnings, OverflowError, or a NaN slope."""
    rng = np.random.default_rng(0)
    kw = {
        "covariates": rng.normal(size=(600, 2)),
        "propensity": np.full(600, 0.5),
    }
    kw = {
        "regression": {"covariates": kw["covariates"]},
        "ipw": {"propensity": kw["propensity"]},
    }.get(method, {})
    p, y = _cal(data)

    def fit(s):
        est = DebiasedATE(LinearCalibrationDebiaser(), method=method, inference="analytic")
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            return _quiet_fit(
                est, data.predictions * s, data.treatment, calibration=(p * s, y * s), **kw
            )

    ref, big = fit(1.0), fit(scale)
    assert big.effect_ == pytest.approx(ref.effect_ * scale, rel=1e-9)
    assert big.stderr_ == pytest.approx(ref.stderr_ * scale, rel=1e-9)
    assert big.naive_effect_ == pytest.approx(ref.naive_effect_ * scale, rel=1e-9)
    assert big.debiaser_.slope_ == pytest.approx(ref.debiaser_.slope_, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e100, 1e-150])
def test_tweedie_is_equivariant_at_extreme_magnitudes(data, scale):
    p, y = _cal(data)
    ref = TweedieDebiaser().fit(p, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        big = TweedieDebiaser().fit(p * scale, y * scale)
        z = np.linspace(-1, 3, 7)
        np.testing.assert_allclose(big.transform(z * scale), ref.transform(z) * scale, rtol=1e-7)
    assert big.noise_std_ == pytest.approx(ref.noise_std_ * scale, rel=1e-10)
    assert big.bandwidth_ == pytest.approx(ref.bandwidth_ * scale, rel=1e-10)


def test_overflowing_magnitudes_are_a_value_error_not_inf(data):
    p, y = _cal(data)
    with pytest.raises(ValueError, match="overflow"):
        TweedieDebiaser().fit(p * 1e300, y * 1e300)


def test_kde_score_validates_its_inputs():
    from causalkit.debias import bandwidth_rule, kde_score

    x = np.random.default_rng(0).normal(size=200)
    with pytest.raises(ValueError, match="points must be finite"):
        kde_score([0.0, np.inf], x)  # was a NaN score
    with pytest.raises(ValueError, match="data needs at least 2 sample"):
        kde_score([0.0], [])  # was ZeroDivisionError
    with pytest.raises(ValueError, match="data needs at least 2 sample"):
        bandwidth_rule(np.array([]))
    with pytest.raises(ValueError, match="points must be 1-dimensional"):
        kde_score(np.zeros((3, 2)), x)  # was silently raveled
    # scale equivariance: score(c z; c x, c h) = score(z; x, h) / c, far beyond the grid's range too
    z = np.linspace(-3, 3, 7)
    for c in (1e300, 1e-300):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = kde_score(z * c, x * c, 0.3 * c)
        np.testing.assert_allclose(got * c, kde_score(z, x, 0.3), rtol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        far = kde_score([0.0], x * 1e300, 0.5)  # was NaN
    assert np.isfinite(far).all()


def test_tiny_calibration_bootstrap_counts_failed_refits(data):
    """Three labelled pairs: many resampled calibration sets are constant or have slope <= 0, so the refit
    fails. Was: the first such replicate's ValueError ended the fit with a message about the resample."""
    cal = (np.array([0.0, 0.5, 1.0]), np.array([0.0, 1.0, 2.0]))
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=50, random_state=0)
    with pytest.warns(
        CalibrationWarning,
        match=r"\d+ of 50 bootstrap replicates were dropped because "
        r"refitting the debiaser on the resampled calibration set failed",
    ):
        _quiet_fit(est, data.predictions, data.treatment, calibration=cal)
    # a resample of 3 pairs is constant (3 of 27 draws) or has two distinct points with a positive slope
    assert 0 < est.bootstrap_dropped_ < 20
    assert np.isfinite(est.stderr_) and est.stderr_ > 0


def test_bandwidth_rule_validates_rule_and_data():
    from causalkit.debias import bandwidth_rule, kde_score

    x = np.random.default_rng(0).normal(size=50)
    for bad in (-1.0, 0.0, np.nan, np.inf):  # were returned as "bandwidths"
        with pytest.raises(ValueError, match="rule must be positive and finite"):
            bandwidth_rule(x, bad)
    with pytest.raises(TypeError, match="rule must be 'scott', 'silverman' or a positive float"):
        bandwidth_rule(x, None)
    with pytest.raises(ValueError, match="rule must be 'scott', 'silverman'"):
        bandwidth_rule(x, "nope")
    with pytest.raises(ValueError, match="data is constant"):
        bandwidth_rule(np.ones(5))  # was 0.0
    with pytest.raises(ValueError, match="data is constant"):
        kde_score([0.0], np.ones(5))
    assert bandwidth_rule(x, 0.25) == 0.25


@pytest.mark.parametrize("case", ["bool", "x1e-300", "x1e300"])
def test_compare_debiasers_odd_targets(case):
    """Boolean targets gave NaN contrast ratios (all units in one group); targets * 1e-300 raised
    LinAlgError from np.polyfit."""
    rng = np.random.default_rng(0)
    t = rng.normal(size=60)
    p = 0.6 * t + rng.normal(scale=0.3, size=60)
    y = {"bool": t > np.median(t), "x1e-300": t * 1e-300, "x1e300": t * 1e300}[case]
    debiasers = None
    if case == "x1e300":  # Tweedie's sigma^2 = 1e600 overflows: a clear error; naive and LCC work
        with pytest.raises(ValueError, match="residual variance overflows"):
            compare_debiasers(p, y, n_splits=2, n_groups=2, random_state=0)
        debiasers = {"naive": None, "lcc": LinearCalibrationDebiaser()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        table = compare_debiasers(p, y, debiasers, n_splits=2, n_groups=2, random_state=0)
    assert np.all(np.isfinite(table.to_numpy())), table
    if case != "bool":  # the naive slope is equivariant: (p on t) * 1e-300 / 1e-300 ... scaled back
        ref = compare_debiasers(p, t, {"naive": None}, n_splits=2, n_groups=2, random_state=0)
        factor = {"x1e-300": 1e300, "x1e300": 1e-300}[case]
        assert table.loc["naive", "slope"] == pytest.approx(ref.loc["naive", "slope"] * factor)


def test_groups_of_mixed_label_types(data):
    groups = np.array(
        [1 if i % 3 else "a" for i in range(600)], dtype=object
    )  # was TypeError from sort
    est = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic")
    with pytest.warns(ClusterWarning, match="only 2 clusters"):
        _quiet_fit(est, data.predictions, data.treatment, calibration=_cal(data), groups=groups)
    ref = DebiasedATE(LinearCalibrationDebiaser(), inference="analytic")
    with pytest.warns(ClusterWarning):
        codes = (np.arange(600) % 3 == 0).astype(int)
        _quiet_fit(ref, data.predictions, data.treatment, calibration=_cal(data), groups=codes)
    assert est.stderr_ == pytest.approx(ref.stderr_, rel=1e-12)


def test_diagnostics_at_mixed_scales_have_no_overflow():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    p = 0.6 * y + rng.normal(scale=0.3, size=300)
    ref = LinearCalibrationDebiaser().fit(p, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # was divide-by-zero in the diagnostics
        warnings.simplefilter("ignore", CausalkitWarning)
        big = LinearCalibrationDebiaser().fit(p * 1e300, y)
    assert big.slope_ == pytest.approx(ref.slope_ * 1e300, rel=1e-10)
    assert big.diagnostics_["calibration_slope"] == pytest.approx(
        ref.diagnostics_["calibration_slope"] * 1e-300, rel=1e-10
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_trial": -1}, ValueError, "n_trial must be >= 0"),  # was numpy's "negative dimensions"
        ({"n_calibration": 1.5}, TypeError, "n_calibration must be an integer"),
        ({"n_unlabeled": -3}, ValueError, "n_unlabeled must be >= 0"),
        ({"ate": np.inf}, ValueError, "ate must be finite"),  # was non-finite data
        ({"noise": np.nan}, ValueError, "noise must be finite"),
    ],
)
@pytest.mark.parametrize("which", ["linear", "nonlinear", "confounded"])
def test_simulators_validate_their_arguments(kwargs, exc, match, which):
    from causalkit.datasets import (
        make_confounded_trial,
        make_linear_shrinkage,
        make_nonlinear_shrinkage,
    )

    make = {
        "linear": make_linear_shrinkage,
        "nonlinear": make_nonlinear_shrinkage,
        "confounded": make_confounded_trial,
    }[which]
    if which == "confounded" and "noise" in kwargs:
        kwargs = {"feature_noise": kwargs["noise"]}
        match = "feature_noise must be finite"
    if which == "nonlinear" and "ate" in kwargs:
        pytest.skip("make_nonlinear_shrinkage has a fixed effect")
    args = {"n_trial": 10, "n_calibration": 10, "random_state": 0, **kwargs}
    with pytest.raises(exc, match=match):
        make(**args)


@pytest.mark.parametrize("inference", ["bootstrap", "analytic"])
def test_huge_correction_factor_is_finite_or_a_value_error(data, inference):
    """Calibration predictions in units 1e-300 of the truth: LCC divides by a slope of ~1e-300, so the corrected
    values are ~1e300. The bootstrap SE overflowed to inf (np.std of 1e300 values) and was reported."""
    p, y = _cal(data)
    est = DebiasedATE(
        LinearCalibrationDebiaser(), inference=inference, n_bootstrap=30, random_state=0
    )
    ref = DebiasedATE(
        LinearCalibrationDebiaser(), inference=inference, n_bootstrap=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CausalkitWarning)
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(data.predictions * 1e-300, data.treatment, calibration=(p * 1e-300, y))
        ref.fit(data.predictions, data.treatment, calibration=(p, y))
    assert np.isfinite(est.stderr_) and np.all(np.isfinite(est.ate_interval()))
    assert est.effect_ == pytest.approx(ref.effect_, rel=1e-9)
    assert est.stderr_ == pytest.approx(ref.stderr_, rel=1e-9)
