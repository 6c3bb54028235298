"""Issue #12 (slice A): no solver may end the process, no unsound or silently wrong Lipschitz bound."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from causalkit.solvers import Residual, lipschitz_bound, sampled_lower_bound

# ----------------------------------------------------------------------------------------- item 4: parsing


def test_two_row_nested_list_is_a_matrix_not_a_pair():
    W = [[1.0, 2.0], [3.0, 4.0]]  # one 2x2 layer, true constant ‖W‖₂ = 5.4650
    truth = np.linalg.norm(np.array(W), 2)
    res = lipschitz_bound([W])
    assert res.certified
    # was 2.2361: read as W = [1, 2] with bias [3, 4]
    assert res.bound == pytest.approx(truth, rel=1e-10)
    # the same layer inside a network: relu between two 2x2 layers
    W2 = [[0.5, -1.0], [2.0, 0.25]]
    a = lipschitz_bound([W, W2])
    b = lipschitz_bound([np.array(W), np.array(W2)])
    assert a.bound == pytest.approx(b.bound, rel=1e-9)
    assert a.naive_bound == pytest.approx(truth * np.linalg.norm(np.array(W2), 2), rel=1e-12)


def test_weight_bias_pair_only_as_tuple():
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(1, 3)), [0.5]
    ref = lipschitz_bound([W1, W2]).bound
    assert lipschitz_bound([(W1, b1), (W2, b2)]).bound == pytest.approx(ref, rel=1e-9)
    # a list [W, b] is not a pair: refused with a hint rather than guessed
    with pytest.raises(TypeError, match=r"weights\[0\].*tuple"):
        lipschitz_bound([[W1, b1], W2])
    # a bias that does not match the rows of W
    with pytest.raises(ValueError, match=r"weights\[0\].*bias"):
        lipschitz_bound([(W1, np.ones(2)), W2])


def test_ambiguous_top_level_inputs_are_refused():
    # a single (W, b) tuple at top level could be a pair or a 2-layer net ending in a row vector
    W, b = np.ones((2, 3)), np.ones(2)
    with pytest.raises(ValueError, match="ambiguous"):
        lipschitz_bound((W, b))
    # a nested list of numbers: one matrix, or a list of one-row layers?
    with pytest.raises(ValueError, match="ambiguous"):
        lipschitz_bound([[1.0], [2.0]])
    # the explicit forms work
    assert lipschitz_bound([(W, b)]).bound == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)
    assert lipschitz_bound(np.array([[1.0], [2.0]])).bound == pytest.approx(np.sqrt(5), rel=1e-12)


# ------------------------------------------------------------------------- item 5: residual activations


def test_residual_block_takes_its_activation_from_the_list():
    # x -> 3-slope act -> x + act(x) -> identity: true constant 3 * (1 + 3) = 12 on the negative orthant
    I2 = np.eye(2)
    net = [I2, Residual(I2, I2), I2]
    leaky3 = ("leaky_relu", 3.0)  # slopes [1, 3]: v if v > 0 else 3 v
    truth = 12.0
    low = sampled_lower_bound(net, activation=[leaky3, leaky3], random_state=0)
    assert low == pytest.approx(truth, rel=1e-9)
    for acts in ([("slope", 0.0, 3.0)] * 2, [leaky3, leaky3]):
        res = lipschitz_bound(net, activation=acts)
        assert res.certified
        assert res.bound >= truth * (1 - 1e-7)  # was 6.0: the block silently got ReLU
        assert res.bound <= res.naive_bound * (1 + 1e-9)
    # the single-spec form still applies one activation everywhere
    assert lipschitz_bound(net, activation=leaky3).bound >= truth * (1 - 1e-7)


def test_activation_list_too_short_for_residual_blocks_is_refused():
    I2 = np.eye(2)
    with pytest.raises(ValueError, match="residual"):
        lipschitz_bound([I2, Residual(I2, I2), I2], activation=[("slope", 0.0, 3.0)])
    # a block with its own activation needs no entry
    blk = Residual(I2, I2, activation=("leaky_relu", 3.0))
    res = lipschitz_bound([I2, blk, I2], activation=[("leaky_relu", 3.0)])
    assert res.bound >= 12.0 * (1 - 1e-7)
