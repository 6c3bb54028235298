"""Graph inputs, seeded random-graph generators and GNN modules for causalkit's network estimators.

The numpy parts (:func:`to_edge_index`, :func:`mean_adjacency`, the generators, ...) import no torch; the GNN
modules (:class:`NodeGNN`, :func:`train_module`, ...) import torch and torch-geometric on first use
(``pip install "causalkit[graph]"``).
"""

from __future__ import annotations

import importlib

from ._generators import (
    barabasi_albert_graph,
    erdos_renyi_graph,
    make_graph,
    stochastic_block_graph,
)
from ._graph import (
    GraphData,
    connected_components,
    degree,
    from_pyg,
    mean_adjacency,
    neighbour_mean,
    propagate_features,
    to_edge_index,
)

_TORCH_NAMES = (
    "GraphTensors",
    "NodeGNN",
    "build_module",
    "graph_tensors",
    "predict_module",
    "train_module",
)

__all__ = [
    "GraphData",
    "GraphTensors",
    "NodeGNN",
    "barabasi_albert_graph",
    "build_module",
    "connected_components",
    "degree",
    "erdos_renyi_graph",
    "from_pyg",
    "graph_tensors",
    "make_graph",
    "mean_adjacency",
    "neighbour_mean",
    "predict_module",
    "propagate_features",
    "stochastic_block_graph",
    "to_edge_index",
    "train_module",
]


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from .._base import optional_import

        optional_import("torch")
        module = importlib.import_module(f"{__name__}._nn")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
