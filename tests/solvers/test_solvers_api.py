"""The solvers family under the #13 API convention: keyword-only constructor, scikit-learn ``fit(X, y=None)``,
lazy package exports, running docstring examples, and the lone residual block with an activation list (#12)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import subprocess
import sys

import numpy as np
import pytest

from causalkit.solvers import LipschitzEstimator

_DOC_MODULES = ["_lipschitz", "_lower", "_network", "_sdp", "nn"]


def test_constructor_is_keyword_only_after_activation():
    params = inspect.signature(LipschitzEstimator).parameters
    kinds = [p.kind for p in params.values()]
    assert next(iter(params)) == "activation"
    assert kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds[1:])
    assert "alpha" not in params
    with pytest.raises(TypeError):
        LipschitzEstimator("relu", "layer")  # method is keyword-only
    assert LipschitzEstimator("tanh", method="layer").get_params()["activation"] == "tanh"


def test_fit_takes_the_network_as_X():
    fit = inspect.signature(LipschitzEstimator.fit).parameters
    assert list(fit)[1:] == ["X", "y"] and fit["y"].default is None
    weights = [np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])]
    a = LipschitzEstimator(method="naive").fit(weights)
    b = LipschitzEstimator(method="naive").fit(X=weights, y=None)
    assert a.bound_ == b.bound_ == 6.0 and a.certified_ and a.result_.method == "naive"


def test_package_import_is_light():
    code = (
        "import sys, causalkit.solvers, causalkit.solvers._cli as c; "
        "heavy = {'cvxpy', 'torch', 'scipy', 'sklearn', 'causalkit.solvers._lipschitz'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_lazy_exports_resolve():
    import causalkit.solvers as solvers

    assert sorted(solvers.__all__) == solvers.__all__ and set(solvers.__all__) <= set(dir(solvers))
    for name in solvers.__all__:
        if name in ("GroupSort", "Householder", "MaxMin", "ResidualBlock"):
            pytest.importorskip("torch")
        assert getattr(solvers, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute"):
        solvers.not_a_name  # noqa: B018


@pytest.mark.parametrize("name", _DOC_MODULES)
def test_docstring_examples(name):
    pytest.importorskip("cvxpy")
    if name == "nn":
        pytest.importorskip("torch")
    module = importlib.import_module(f"causalkit.solvers.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_lone_residual_block_takes_a_one_entry_activation_list():
    """#12: ``[Residual(W, V)]`` with ``activation=[spec]`` was refused ('1 activations for -1 hidden
    layer(s)'); the list form now gives the single-spec bound, itself above the sampled Jacobian norm."""
    pytest.importorskip("cvxpy")
    from causalkit.solvers import Residual, lipschitz_bound, sampled_lower_bound

    r = np.random.default_rng(0)
    W, V = r.normal(size=(3, 3)), r.normal(size=(3, 3))
    listed = lipschitz_bound([Residual(W, V)], activation=[("slope", 0.0, 3.0)])
    single = lipschitz_bound([Residual(W, V)], activation=("slope", 0.0, 3.0))
    assert listed.certified and listed.bound == pytest.approx(single.bound, rel=1e-6)
    relu = lipschitz_bound([Residual(W, V)], activation=["relu"])
    low = sampled_lower_bound([Residual(W, V)], activation="relu", random_state=0)
    assert relu.certified and relu.bound >= low * (1 - 1e-6)
    with pytest.raises(ValueError, match="0 hidden layer"):
        lipschitz_bound([Residual(W, V)], activation=["relu", "relu"])


def test_integer_parameters_go_through_check_int():
    """One integer rule (``_base.check_int``): a non-integer is a TypeError, an out-of-range one a ValueError,
    each naming the parameter; numpy integers are accepted."""
    from causalkit.solvers import lipschitz_bound, pattern_bound, sampled_lower_bound

    W = [np.eye(2), np.eye(2)]
    for bad, err in (("2", TypeError), (2.0, TypeError), (True, TypeError), (0, ValueError)):
        with pytest.raises(err, match="split_size"):
            lipschitz_bound(W, method="naive", split_size=bad)
        with pytest.raises(err, match="n_samples"):
            sampled_lower_bound(W, n_samples=bad)
    with pytest.raises(TypeError, match="max_neurons"):
        pattern_bound(W, max_neurons=1.5)
    with pytest.raises(TypeError, match="group size"):
        lipschitz_bound(W, activation=("groupsort", 2.0), method="naive")
    with pytest.raises(ValueError, match="group size"):
        lipschitz_bound(W, activation=("groupsort", 1), method="naive")
    assert lipschitz_bound(W, method="naive", split_size=np.int64(3)).bound == 1.0
    assert sampled_lower_bound(W, n_samples=np.int32(5), random_state=0) == pytest.approx(1.0)
