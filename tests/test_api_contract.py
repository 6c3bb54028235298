"""One API contract over every public estimator of every family (#13, DEVELOPERS.md "API convention").

Each family provides ``tests/<family>/_contract_<family>.py::contract_cases()`` returning
``(estimator, fit_args, fit_kwargs, kind)`` tuples, ``kind`` being ``"effect"`` (``fit(Y, T, *, ...)``),
``"predictive"`` (scikit-learn ``fit(X, y=None, *, ...)``) or ``"transformer"``. Every public estimator (from the
family's ``__all__``) must appear in some case; the checks are:

- signature: ``fit`` has at most two positional data parameters, every further one keyword-only; the constructor
  has at most one positional parameter;
- ``alpha`` is never a constructor parameter (it is the CI level of ``summary``/``conf_int``; penalties are named
  ``ridge_alpha``, ``ivl_alpha``, ...);
- estimators that report uncertainty set ``inference_`` (an ``EffectResult``) in ``fit`` and their
  ``summary(*, alpha)`` / ``conf_int(*, alpha)`` are the mixin's: ``conf_int`` is a DataFrame ``[lower, upper]``
  indexed by the ``inference_`` terms, with ``lower <= upper`` and narrower at larger ``alpha``;
- effect estimators also have ``ate()`` (a float inside ``ate_interval()``) and ``effect()``.

Estimators with no inference are listed in :data:`NO_INFERENCE` with the reason.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from causalkit._base import EffectResult

FAMILIES = ("compositional", "debias", "deconfound", "iv", "network", "rep4ex", "solvers")
TESTS = Path(__file__).resolve().parent

#: estimators with no sampling uncertainty to report, and why
NO_INFERENCE: dict[str, str] = {
    "ALR": "a deterministic transform",
    "CLR": "a deterministic transform",
    "ILR": "a deterministic transform",
    "Closure": "a deterministic transform",
    "LipschitzEstimator": "a certified bound, not an estimate (result_ holds the certificate)",
    "TweedieDebiaser": "a calibration map used inside DebiasedATE, which reports the inference",
    "NullSpaceTranslation": "an augmenter (a callable), not an estimator",
    "Rep4Ex": "an extrapolating regressor; its uncertainty is issue #17",
    "ControlFunctionExtrapolator": "an extrapolating regressor; its uncertainty is issue #17",
    "GraphSLearner": "a plug-in meta-learner with no variance formula; use GraphRLearner for intervals",
    "GraphTLearner": "a plug-in meta-learner with no variance formula; use GraphRLearner for intervals",
}


def _load_cases(family: str):
    path = TESTS / family / f"_contract_{family}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"_contract_{family}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.contract_cases()


def _public_estimators(family: str) -> dict[str, type]:
    module = importlib.import_module(f"causalkit.{family}")
    out = {}
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "get_params"):
            out[name] = obj
    return out


CASES = []
for _family in FAMILIES:
    _cases = _load_cases(_family)
    if _cases is None:
        continue
    for _i, (_est, _args, _kwargs, _kind) in enumerate(_cases):
        CASES.append(
            pytest.param(_est, _args, _kwargs, _kind, id=f"{_family}-{type(_est).__name__}-{_i}")
        )


@pytest.mark.parametrize("family", FAMILIES)
def test_every_public_estimator_has_a_case(family):
    cases = _load_cases(family)
    if cases is None:
        pytest.xfail(f"tests/{family}/_contract_{family}.py not written yet (#13)")
    covered = {type(c[0]).__name__ for c in cases}
    missing = set(_public_estimators(family)) - covered
    assert not missing, f"{family}: no contract case for {sorted(missing)}"


def _positional(params):
    return [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]


@pytest.mark.parametrize(("est", "args", "kwargs", "kind"), CASES)
def test_signatures(est, args, kwargs, kind):
    init = inspect.signature(type(est).__init__).parameters.values()
    assert len(_positional(init)) <= 1, f"constructor takes {len(_positional(init))} positional parameters"
    fit = list(inspect.signature(type(est).fit).parameters.values())
    positional = _positional(fit)
    assert len(positional) <= 2, f"fit takes positional {[p.name for p in positional]}"
    assert len(args) <= 2, "a case passes a data argument positionally beyond the first two"
    if kind == "effect":
        assert len(positional) == 2, "an effect estimator's fit is fit(Y, T, *, ...)"
    else:
        assert positional[0].name == "X", "a predictive/transforming fit is fit(X, y=None, *, ...)"
    # ``alpha`` is the CI level of summary/conf_int; a penalty is named for what it is (``ridge_alpha``)
    assert "alpha" not in inspect.signature(type(est).__init__).parameters


@pytest.mark.parametrize(("est", "args", "kwargs", "kind"), CASES)
def test_results_vocabulary(est, args, kwargs, kind):
    name = type(est).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = clone(est).fit(*args, **kwargs)
    assert fitted is not None, "fit must return self"
    if name in NO_INFERENCE:
        return
    result = getattr(fitted, "inference_", None)
    assert isinstance(result, EffectResult), f"{name}.inference_ is {type(result).__name__}"
    ci = fitted.conf_int()
    assert isinstance(ci, pd.DataFrame) and list(ci.columns) == ["lower", "upper"]
    assert list(ci.index) == list(result.names)
    np.testing.assert_array_equal(ci.to_numpy(), result.conf_int(alpha=0.05).to_numpy())
    finite = np.isfinite(ci.to_numpy()).all(axis=1)
    assert (ci["lower"][finite] <= ci["upper"][finite]).all()
    wide, narrow = fitted.conf_int(alpha=0.01), fitted.conf_int(alpha=0.5)
    width = lambda c: (c["upper"] - c["lower"]).to_numpy()  # noqa: E731
    assert (width(narrow)[finite] <= width(wide)[finite] + 1e-12).all()
    with pytest.raises(TypeError):
        fitted.conf_int(0.1)  # alpha is keyword-only
    table = fitted.summary(alpha=0.1).table
    assert {"estimate", "std_err", "p_value"} <= set(table.columns)
    if kind == "effect":
        ate = fitted.ate()
        lower, upper = fitted.ate_interval()
        assert isinstance(ate, float) and lower <= ate <= upper
        assert hasattr(fitted, "effect")
