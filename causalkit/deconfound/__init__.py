"""Reward deconfounding: remove known confounders' effect from observational rewards (DeconfoundLM-style).

After Loghmani, *Aligning Language Models with Observational Data: Opportunities and Risks from a Causal
Perspective* (arXiv 2506.00152), reconstructed as a partially linear double-ML partialling-out.
"""

from ._estimator import OverlapWarning, RewardDeconfounder

__all__ = ["OverlapWarning", "RewardDeconfounder"]
