"""The network family's cases for the shared API contract test (``tests/test_api_contract.py``, #13).

Every learner is an effect estimator, ``fit(Y, T, *, X, edge_index, groups=None, sample_weight=None)``. The
R-learners report their inference through ``inference_`` (term ``"ATE"``, then ``"tau: ..."`` coefficients for a
linear final stage), ``summary(*, alpha)``, ``conf_int(*, alpha)`` and ``ate_interval(*, alpha)``; the S- and
T-learners are plug-in point estimators (``NO_INFERENCE`` there). ``hub_periphery_report`` is a function, not an
estimator, so it has no case.
"""

from __future__ import annotations

import numpy as np


def contract_cases() -> list[tuple[object, tuple, dict, str]]:
    """``(estimator, fit_args, fit_kwargs, kind)`` for each network learner, each fitting in well under a second."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from causalkit.datasets import make_network_effect
    from causalkit.network import (
        BlindRLearner,
        GraphFeatureRLearner,
        GraphRLearner,
        GraphSLearner,
        GraphTLearner,
    )

    d = make_network_effect(120, "er", mean_degree=4, random_state=0)
    groups = np.arange(120) % 24
    gnn = dict(hidden_channels=4, max_epochs=3, patience=2, n_threads=1, random_state=0)
    sk = dict(model_t=LogisticRegression(), random_state=0)
    graph = {"X": d.X, "edge_index": d.edge_index}
    return [
        (GraphRLearner(**gnn), (d.Y, d.T), graph, "effect"),
        (
            GraphRLearner(LinearRegression(), model_final="linear", **sk),
            (d.Y, d.T),
            {**graph, "groups": groups},
            "effect",
        ),
        (BlindRLearner(LinearRegression(), **sk), (d.Y, d.T), {"X": d.X}, "effect"),
        (GraphFeatureRLearner(LinearRegression(), **sk), (d.Y, d.T), graph, "effect"),
        (
            BlindRLearner(LinearRegression(), **sk),
            (d.Y, d.T),
            {"X": d.X, "groups": groups, "sample_weight": np.linspace(0.5, 2.0, 120)},
            "effect",
        ),
        (GraphSLearner(**gnn), (d.Y, d.T), graph, "effect"),
        (GraphTLearner(LinearRegression()), (d.Y, d.T), graph, "effect"),
    ]
