"""Node-level treatment effects on graphs: the Graph R-learner and its baselines.

Needs the ``graph`` extra (torch, torch-geometric). Assumes no interference: a node's outcome depends on its
own treatment only (effects may depend on neighbours' features). For spillover/peer effects use
exposure-mapping methods.
"""

from ._metalearners import GraphSLearner, GraphTLearner
from ._report import hub_periphery_report
from ._rlearner import BlindRLearner, GraphRLearner

__all__ = [
    "BlindRLearner",
    "GraphRLearner",
    "GraphSLearner",
    "GraphTLearner",
    "hub_periphery_report",
]
