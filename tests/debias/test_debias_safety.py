"""Issue #12 regression tests for the debiasing family: clusters, collinearity, degenerate samples,
feature names, named warnings and nearby degenerate inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from causalkit.datasets import make_linear_shrinkage
from causalkit.debias import (
    DebiasedATE,
    LinearCalibrationDebiaser,
)
from causalkit.exceptions import (
    ClusterWarning,
    ExtrapolationWarning,
    OverlapWarning,
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
    assert est.result_.info["Bootstrap replicates dropped"] == dropped


def test_dropped_replicates_without_clusters_warn(data):
    """One treated unit: a resample lacks it with probability (1 - 1/n)^n ~ 0.37."""
    a = np.zeros(600)
    a[0] = 1
    est = DebiasedATE(LinearCalibrationDebiaser(), n_bootstrap=100, random_state=0)
    with pytest.warns(OverlapWarning, match=r"\d+ of 100 bootstrap replicates .*lost an arm"):
        _quiet_fit(est, data.predictions, a, calibration=_cal(data))
    assert 20 < est.bootstrap_dropped_ < 55
