"""The deconfound family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

:class:`~causalkit.deconfound.RewardDeconfounder` is an effect estimator in EconML's order:
``fit(rewards, features, *, confounders, groups=None)``; its ``inference_`` has one term per feature (named as
the feature columns), ``ate()`` is the first feature's effect. ``OverlapWarning`` is a warning class, not an
estimator, so it has no case.
"""

from __future__ import annotations


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each deconfound estimator, each fitting in well under a second."""
    import numpy as np

    from causalkit.datasets import make_confounded_content
    from causalkit.deconfound import RewardDeconfounder

    d = make_confounded_content(300, random_state=0)
    groups = np.arange(300) % 25
    C = {"confounders": d.confounders}
    return [
        (RewardDeconfounder(random_state=0), (d.rewards, d.features), C, "effect"),
        (
            RewardDeconfounder(random_state=0, final_alpha=1.0),
            (d.rewards, d.features),
            {**C, "groups": groups},
            "effect",
        ),
        (RewardDeconfounder(method="joint"), (d.rewards, d.features), C, "effect"),
        (
            RewardDeconfounder(method="naive"),
            (d.rewards.to_numpy(), d.features.to_numpy()),
            C,
            "effect",
        ),
    ]
