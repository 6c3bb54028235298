"""Coverage of the AIPW ATE interval over seeded replications (slow)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

from causalkit._base import parallel_map, spawn_seeds
from causalkit.datasets import make_network_effect
from causalkit.network import GraphRLearner


def _one(seed):
    d = make_network_effect(1000, "ba", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = GraphRLearner(random_state=seed).fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
    lo, hi = est.ate_interval(alpha=0.05)
    return lo <= d.ate <= hi, est.ate() - d.ate, hi - lo


@pytest.mark.slow
def test_ate_interval_coverage_40_replications():
    """Acceptance: the 95% interval covers the true ATE (mean of tau over the nodes) in >= 85% of 40 runs."""
    out = parallel_map(_one, spawn_seeds(20260, 40))
    cover = np.mean([o[0] for o in out])
    bias = np.mean([o[1] for o in out])
    width = np.mean([o[2] for o in out])
    print(f"coverage {cover:.3f}, mean error {bias:+.4f}, mean width {width:.3f}")
    assert cover >= 0.85, cover
