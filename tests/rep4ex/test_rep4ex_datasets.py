"""The rep4ex simulators: the stated E[Y | do(A = a)] matches Monte Carlo under the intervention."""

from __future__ import annotations

import numpy as np
import pytest

from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d, rep4ex_grid, rep4ex_truth_1d


@pytest.mark.parametrize("a", [-1.75, -0.5, 0.3, 1.5])
def test_truth_1d_by_monte_carlo(a):
    d = make_rep4ex_1d(200_000, do_a=a, random_state=1)
    se = d.Y.std() / np.sqrt(d.Y.size)
    assert abs(d.Y.mean() - rep4ex_truth_1d([a])[0]) < 4 * se
    np.testing.assert_allclose(d.truth([a]), rep4ex_truth_1d([a]))


@pytest.mark.parametrize("a", [(-1.75, 1.75), (0.5, -0.25), (1.5, 1.5)])
def test_truth_2d_by_monte_carlo(a):
    d = make_rep4ex_2d(200_000, do_a=a, random_state=2)
    se = d.Y.std() / np.sqrt(d.Y.size)
    assert abs(d.Y.mean() - d.truth(np.array([a]))[0]) < 4 * se


def test_structure_and_injective_mixing():
    d = make_rep4ex_1d(3000, random_state=0)
    assert d.X.shape == (3000, 3) and d.A.shape == (3000, 1) and d.Z.shape == (3000, 1)
    np.testing.assert_allclose(d.Z, 2 * d.A + d.V)
    np.testing.assert_allclose(d.mixing(d.Z[:, 0]), d.X)
    # the same mixing for every data seed; each coordinate strictly monotone in z => injective
    np.testing.assert_allclose(make_rep4ex_1d(5, random_state=9).mixing([0.3]), d.mixing([0.3]))
    z = np.linspace(-8, 8, 2001)
    dx = np.diff(d.mixing(z), axis=0)
    assert np.all((dx > 0).all(axis=0) | (dx < 0).all(axis=0))
    # X is genuinely nonlinear in Z: a linear fit leaves clear residual variation
    from sklearn.linear_model import LinearRegression

    assert LinearRegression().fit(d.X, d.Z).score(d.X, d.Z) < 0.97
    g = rep4ex_grid(1)
    assert np.var(d.truth(g.a[g.outside])) == pytest.approx(0.194, abs=0.01)


def test_same_seed_same_data():
    a, b = make_rep4ex_2d(50, random_state=4), make_rep4ex_2d(50, random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
