"""Bad input gets a clear error naming the argument and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.debias import (
    DebiasedATE,
    LinearCalibrationDebiaser,
    TweedieDebiaser,
    compare_debiasers,
)

RNG = np.random.default_rng(0)
Y = RNG.normal(size=200)
P = 0.6 * Y + RNG.normal(scale=0.3, size=200)
A = (RNG.random(200) < 0.5).astype(float)
CAL = (P, Y)
DEBIASERS = [LinearCalibrationDebiaser, TweedieDebiaser]


@pytest.mark.parametrize("make", DEBIASERS)
class TestDebiaserFit:
    def test_empty(self, make):
        with pytest.raises(ValueError, match="predictions needs at least 3 sample"):
            make().fit([], [])

    def test_nan(self, make):
        bad = P.copy()
        bad[3] = np.nan
        with pytest.raises(ValueError, match="predictions must be finite; found 1 NaN"):
            make().fit(bad, Y)

    def test_inf(self, make):
        bad = Y.copy()
        bad[0] = np.inf
        with pytest.raises(ValueError, match="targets must be finite; found 0 NaN and 1 infinite"):
            make().fit(P, bad)

    def test_two_dimensional(self, make):
        with pytest.raises(
            ValueError, match=r"predictions must be 1-dimensional with shape \(n,\)"
        ):
            make().fit(np.column_stack([P, P]), Y)

    def test_mismatched_lengths(self, make):
        with pytest.raises(ValueError, match=r"mismatched lengths.*predictions: 200, targets: 199"):
            make().fit(P, Y[:-1])

    def test_constant_targets(self, make):
        with pytest.raises(ValueError, match="targets is constant"):
            make().fit(P, np.ones_like(P))

    def test_constant_predictions(self, make):
        with pytest.raises(ValueError, match="predictions is constant"):
            make().fit(np.ones_like(Y), Y)

    def test_non_numeric(self, make):
        with pytest.raises(TypeError, match="predictions must be numeric"):
            make().fit(["a"] * 5, np.arange(5.0))

    def test_transform_before_fit(self, make):
        from sklearn.exceptions import NotFittedError

        with pytest.raises(NotFittedError):
            make().transform(P)

    def test_transform_bad_input(self, make):
        est = make().fit(P, Y)
        with pytest.raises(ValueError, match="predictions must be finite"):
            est.transform([np.nan, 1.0])
        with pytest.raises(ValueError, match="predictions must be 1-dimensional"):
            est.transform(np.ones((4, 2)))


def test_lcc_non_positive_slope():
    with pytest.raises(ValueError, match=r"slope of predictions on targets is -0\.\d+ <= 1e-08"):
        LinearCalibrationDebiaser().fit(-P, Y)


def test_lcc_negative_weights():
    w = np.ones_like(P)
    w[0] = -1
    with pytest.raises(ValueError, match="sample_weight must be non-negative; found 1 negative"):
        LinearCalibrationDebiaser().fit(P, Y, sample_weight=w)


@pytest.mark.parametrize(
    ("params", "exc", "match"),
    [
        ({"bandwidth": "wide"}, ValueError, "bandwidth must be 'scott', 'silverman'"),
        ({"bandwidth": -0.1}, ValueError, "bandwidth must be > 0"),
        ({"noise_scale": -1.0}, ValueError, "noise_scale must be >= 0"),
        ({"noise_scale": "big"}, TypeError, "noise_scale must be a real number"),
        ({"bandwidth_adjust": 0.0}, ValueError, "bandwidth_adjust must be > 0"),
        ({"score_method": "fft"}, ValueError, "score_method must be 'binned' or 'exact'"),
        ({"density": "histogram"}, ValueError, "density must be 'kde', 'gaussian'"),
        ({"density": object()}, TypeError, "density must be 'kde', 'gaussian' or an estimator"),
    ],
)
def test_tweedie_bad_params(params, exc, match):
    with pytest.raises(exc, match=match):
        TweedieDebiaser(**params).fit(P, Y)


def test_tweedie_bad_unlabeled():
    with pytest.raises(ValueError, match="unlabeled_predictions must be finite"):
        TweedieDebiaser().fit(P, Y, unlabeled_predictions=[1.0, np.nan])


class TestDebiasedATE:
    def fit(self, est=None, **kw):
        args = {"calibration": CAL, **kw}
        pred = args.pop("predictions", P)
        treat = args.pop("treatment", A)
        return (est or DebiasedATE(inference="analytic")).fit(pred, treat, **args)

    def test_non_binary_treatment(self):
        with pytest.raises(ValueError, match="treatment must be binary with values 0/1"):
            self.fit(treatment=np.arange(200.0))

    def test_single_arm(self):
        with pytest.raises(ValueError, match="treatment must contain both treated"):
            self.fit(treatment=np.ones(200))

    def test_mismatched_lengths(self):
        with pytest.raises(
            ValueError, match=r"mismatched lengths.*predictions: 200, treatment: 150"
        ):
            self.fit(treatment=A[:150])

    def test_nan_predictions(self):
        bad = P.copy()
        bad[5] = np.nan
        with pytest.raises(ValueError, match="predictions must be finite"):
            self.fit(predictions=bad)

    def test_two_dimensional_predictions(self):
        with pytest.raises(ValueError, match="predictions must be 1-dimensional"):
            self.fit(predictions=np.column_stack([P, P]))

    def test_empty(self):
        with pytest.raises(ValueError, match="predictions needs at least 1 sample"):
            self.fit(predictions=[], treatment=[])

    def test_negative_weights(self):
        w = np.ones(200)
        w[:3] = -1
        with pytest.raises(ValueError, match="weights must be non-negative; found 3 negative"):
            self.fit(weights=w)

    def test_weights_wrong_length(self):
        with pytest.raises(ValueError, match="weights has length 10; expected 200"):
            self.fit(weights=np.ones(10))

    def test_calibration_not_a_pair(self):
        with pytest.raises(TypeError, match="calibration must be a tuple"):
            self.fit(calibration=P)

    def test_calibration_mismatched(self):
        with pytest.raises(
            ValueError, match="calibration_predictions: 200, calibration_targets: 100"
        ):
            self.fit(calibration=(P, Y[:100]))

    def test_constant_calibration(self):
        with pytest.raises(ValueError, match="targets is constant"):
            self.fit(calibration=(P, np.zeros(200)))

    def test_unfitted_debiaser_without_calibration(self):
        with pytest.raises(ValueError, match="debiaser is not fitted"):
            DebiasedATE(LinearCalibrationDebiaser()).fit(P, A)

    def test_ipw_needs_propensity_or_covariates(self):
        with pytest.raises(ValueError, match="method='ipw' needs propensity or covariates"):
            self.fit(DebiasedATE(method="ipw", inference="analytic"))

    def test_propensity_out_of_range(self):
        with pytest.raises(ValueError, match="propensity must lie strictly between 0 and 1"):
            self.fit(DebiasedATE(method="ipw"), propensity=np.r_[0.0, np.full(199, 0.5)])

    def test_regression_needs_covariates(self):
        with pytest.raises(ValueError, match="method='regression' needs covariates"):
            self.fit(DebiasedATE(method="regression"))

    def test_covariates_wrong_length(self):
        with pytest.raises(ValueError, match="covariates: 20"):
            self.fit(DebiasedATE(method="regression"), covariates=np.ones((20, 2)))

    def test_covariates_nan(self):
        x = np.ones((200, 2))
        x[0, 0] = np.nan
        with pytest.raises(ValueError, match="covariates must be finite"):
            self.fit(DebiasedATE(method="regression"), covariates=x)

    @pytest.mark.parametrize(
        ("params", "exc", "match"),
        [
            ({"method": "aipw"}, ValueError, "method must be one of"),
            ({"inference": "jackknife"}, ValueError, "inference must be one of"),
            ({"n_bootstrap": 1}, ValueError, "n_bootstrap must be >= 2"),
            ({"n_bootstrap": 10.5}, TypeError, "n_bootstrap must be an integer"),
            ({"debiaser": "tweedie"}, TypeError, "debiaser must have fit and transform"),
        ],
    )
    def test_bad_params(self, params, exc, match):
        with pytest.raises(exc, match=match):
            self.fit(DebiasedATE(**params))

    def test_alpha_is_not_a_constructor_parameter(self):
        with pytest.raises(TypeError, match="alpha"):
            DebiasedATE(alpha=0.1)
        est = self.fit(DebiasedATE(inference="analytic"))
        with pytest.raises(ValueError, match="alpha must be in"):
            est.summary(alpha=1.5)
        with pytest.raises(ValueError, match="alpha must be in"):
            est.conf_int(alpha=0.0)

    def test_constructor_is_keyword_only_after_the_debiaser(self):
        with pytest.raises(TypeError):
            DebiasedATE(None, "ipw")
        with pytest.raises(TypeError):
            TweedieDebiaser("scott", 0.5)

    def test_analytic_needs_known_debiaser(self):
        from sklearn.preprocessing import FunctionTransformer

        class Shift(FunctionTransformer):
            def fit(self, X, y=None):
                return super().fit(np.asarray(X)[:, None])

            def transform(self, X):
                return np.asarray(X) + 1.0

        with pytest.raises(ValueError, match="inference='analytic' supports"):
            self.fit(DebiasedATE(Shift(), inference="analytic"))


def test_compare_debiasers_bad_input():
    with pytest.raises(ValueError, match="mismatched lengths"):
        compare_debiasers(P, Y[:50])
    with pytest.raises(ValueError, match="n_groups must be an integer >= 2"):
        compare_debiasers(P, Y, n_groups=1)
    with pytest.raises(TypeError, match="debiasers must be a non-empty dict"):
        compare_debiasers(P, Y, debiasers=[LinearCalibrationDebiaser()])
