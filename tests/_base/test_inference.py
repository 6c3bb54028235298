from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from causalkit._base import EffectResult, ols_inference


def test_scalar_result_wald_interval_and_pvalue():
    r = EffectResult(2.0, 1.0, names=["ATE"], method="test")
    ci = r.conf_int(alpha=0.05)
    assert list(ci.columns) == ["lower", "upper"] and list(ci.index) == ["ATE"]
    lo, hi = ci.loc["ATE"]
    q = stats.norm.ppf(0.975)
    assert (lo, hi) == pytest.approx((2 - q, 2 + q), abs=1e-12)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(2.0), abs=1e-12)
    assert isinstance(r.estimate, float)


def test_vector_result_t_interval_and_frame_keeps_names():
    r = EffectResult(
        [1.0, -2.0],
        [0.5, 1.0],
        names=["age", "income"],
        ci_method="t",
        df=10,
        extra={"naive": [0, 0]},
    )
    ci = r.conf_int(alpha=0.1)
    assert list(ci.index) == ["age", "income"]
    q = stats.t(10).ppf(0.95)
    np.testing.assert_allclose(ci.to_numpy(), [[1 - q * 0.5, 1 + q * 0.5], [-2 - q, -2 + q]])
    frame = r.summary_frame()
    assert list(frame.index) == ["age", "income"]
    assert {"estimate", "std_err", "t", "p_value", "naive"} <= set(frame.columns)
    text = str(r.summary())
    assert "age" in text and "Student t" in text
    assert "<table>" in r.summary()._repr_html_()


def test_percentile_bootstrap_interval():
    boots = np.arange(1, 1001, dtype=float)
    r = EffectResult(500.0, bootstrap_estimates=boots, ci_method="percentile")
    lo, hi = r.interval_bounds(0.1)
    assert lo == pytest.approx(np.quantile(boots, 0.05)) and hi == pytest.approx(
        np.quantile(boots, 0.95)
    )
    assert r.stderr == pytest.approx(np.std(boots, ddof=1))


def test_bad_arguments():
    with pytest.raises(ValueError, match="alpha must be in"):
        EffectResult(1.0, 1.0).conf_int(alpha=1.5)
    with pytest.raises(TypeError, match="conf_int"):
        EffectResult(1.0, 1.0).conf_int(0.1)  # alpha is keyword-only
    with pytest.raises(TypeError, match="alpha must be a number"):
        EffectResult(1.0, 1.0).conf_int(alpha="0.05")
    with pytest.raises(ValueError, match="needs bootstrap_estimates"):
        EffectResult(1.0, 1.0, ci_method="percentile")
    with pytest.raises(ValueError, match="names has 1 entries; expected 2"):
        EffectResult([1.0, 2.0], [1.0, 1.0], names=["a"])


def test_ols_inference_matches_statsmodels_cluster():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    g = np.repeat(np.arange(20), 10)
    y = X @ [1.0, -1.0] + rng.normal(size=200) + rng.normal(size=20)[g]
    params, cov, _ = ols_inference(X, y, add_intercept=True, groups=g)
    ref = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds={"groups": g})
    np.testing.assert_allclose(params, ref.params, rtol=1e-12)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-10)


def test_ols_inference_names_a_rank_deficient_design():
    # statsmodels' SingularMatrixWarning reached users unnamed (probe: BlindRLearner with X * 1e-300)
    import warnings

    from causalkit.exceptions import CollinearityWarning

    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    X = np.column_stack([x, 2 * x])
    y = x + rng.normal(size=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ols_inference(X, y, add_intercept=True)
    categories = [w.category for w in caught]
    assert CollinearityWarning in categories
    assert all(issubclass(c, CollinearityWarning) for c in categories), categories
    assert all(w.filename == __file__ for w in caught)
