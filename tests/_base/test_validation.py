from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalkit._base import (
    check_1d,
    check_2d,
    check_binary_treatment,
    check_consistent_length,
    check_groups,
    check_scalar_in_range,
    check_weights,
)


def test_check_1d_accepts_column_and_names_argument():
    assert check_1d([[1.0], [2.0]], "y").shape == (2,)
    with pytest.raises(ValueError, match=r"y must be 1-dimensional"):
        check_1d(np.ones((3, 2)), "y")
    with pytest.raises(ValueError, match=r"y must be finite; found 1 NaN"):
        check_1d([1.0, np.nan], "y")
    with pytest.raises(ValueError, match=r"y must be finite; found 0 NaN and 1 infinite"):
        check_1d([1.0, np.inf], "y")
    with pytest.raises(ValueError, match="at least 1 sample"):
        check_1d([], "y")
    with pytest.raises(TypeError, match="y must be numeric"):
        check_1d(["a", "b"], "y")


def test_check_2d_keeps_names_and_rejects_strings():
    df = pd.DataFrame({"age": [1, 2], "income": [3.0, 4.0]})
    X, names = check_2d(df, "X", return_names=True)
    assert list(names) == ["age", "income"] and X.dtype == float
    with pytest.raises(TypeError, match=r"non-numeric column\(s\): \['city'\]"):
        check_2d(pd.DataFrame({"city": ["a", "b"]}), "X")
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        check_2d([1, 2, 3], "X")
    assert check_2d([1, 2, 3], "X", ensure_2d_from_1d=True).shape == (3, 1)


def test_consistent_length_reports_each_length():
    with pytest.raises(ValueError, match=r"X: 3, y: 2"):
        check_consistent_length(X=np.ones((3, 1)), y=[1, 2])
    assert check_consistent_length(X=np.ones((2, 1)), y=[1, 2], w=None) == 2


def test_binary_treatment():
    assert check_binary_treatment([True, False, True]).tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="treatment must be binary"):
        check_binary_treatment([0, 1, 2])
    with pytest.raises(ValueError, match="both treated"):
        check_binary_treatment([1, 1, 1])


def test_weights_groups_and_scalars():
    with pytest.raises(ValueError, match="non-negative"):
        check_weights([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="expected 3"):
        check_weights([1.0, 1.0], 3)
    assert check_groups(["a", "b"], 2).tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        check_scalar_in_range(-1, "alpha", low=0)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        check_scalar_in_range("1", "alpha")
    assert check_scalar_in_range(np.inf, "alpha", low=0, allow_inf=True) == np.inf


def test_sparse_and_complex_are_rejected_with_the_argument_name():
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="X: sparse input is not supported"):
        check_2d(sp.csr_matrix(np.ones((3, 2))), "X")
    with pytest.raises(ValueError, match="X: Complex data not supported"):
        check_2d(np.ones((3, 2)) * 1j, "X")
    with pytest.raises(ValueError, match="y: Complex data not supported"):
        check_1d([1 + 1j, 2.0], "y")


def test_check_generator():
    from causalkit._base import check_generator

    g = np.random.default_rng(1)
    assert check_generator(g) is g
    assert check_generator(3).random() == np.random.default_rng(3).random()
    a = check_generator(np.random.RandomState(0)).random()
    assert a == check_generator(np.random.RandomState(0)).random()
    with pytest.raises(TypeError, match="random_state must be None, an int"):
        check_generator("seed")


def test_check_random_state_none_leaves_global_numpy_rng_alone():
    from causalkit._base import check_random_state

    before = np.random.get_state()[1].copy()  # noqa: NPY002 - the global state is what is tested
    check_random_state(None).normal(size=10)
    assert (np.random.get_state()[1] == before).all()  # noqa: NPY002
    assert check_random_state(3).randint(0, 10**6) == np.random.RandomState(3).randint(0, 10**6)


def test_check_feature_names_warns_when_names_are_on_one_side_only():
    import warnings

    import pandas as pd

    from causalkit._base import check_feature_names
    from causalkit.exceptions import FeatureNamesWarning

    class Fitted:
        n_features_in_ = 2
        feature_names_in_ = np.array(["a", "b"], dtype=object)

    with pytest.warns(FeatureNamesWarning, match="does not have valid feature names"):
        check_feature_names(Fitted(), np.zeros((3, 2)), stacklevel=1)
    unnamed = Fitted()
    unnamed.feature_names_in_ = None
    with pytest.warns(FeatureNamesWarning, match="fitted without feature names"):
        check_feature_names(
            unnamed, pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"]), stacklevel=1
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_feature_names(
            Fitted(), pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"]), stacklevel=1
        )
        check_feature_names(Fitted(), np.zeros((3, 2)))  # no stacklevel: no warning (old behaviour)


def test_cluster_labels_of_mixed_types_and_missing_labels():
    from causalkit._base import check_groups, check_n_clusters

    labels = np.array([1, "a", 1, "a"] * 10, dtype=object)
    with pytest.warns(UserWarning, match="only 2 clusters"):
        assert check_n_clusters(labels, stacklevel=1) == 2
    with pytest.raises(ValueError, match="missing labels"):
        check_n_clusters(np.array([1, None, 2] * 10, dtype=object))
    with pytest.raises(ValueError, match="missing labels"):
        check_groups(np.array(["a", None], dtype=object), 2)


def test_check_random_state_names_the_argument_and_bad_inputs():
    from causalkit._base import check_consistent_length, check_random_state

    rs = np.random.RandomState(0)
    assert check_random_state(rs) is rs
    with pytest.raises(TypeError, match="seed must be None, an int"):
        check_random_state("seed", name="seed")
    with pytest.raises(TypeError, match="random_state"):
        check_random_state(1.5)
    with pytest.raises(ValueError, match=r"random_state must be in \[0, 2\*\*32 - 1\]; got -1"):
        check_random_state(-1)
    with pytest.raises(ValueError, match="rewards must be an array of samples"):
        check_consistent_length(rewards=np.float64(1.0), X=np.zeros((3, 1)))
    with pytest.raises(TypeError, match="rewards must be array-like"):
        check_consistent_length(rewards=1.0, X=np.zeros((3, 1)))
