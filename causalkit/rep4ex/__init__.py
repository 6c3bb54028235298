"""causalkit.rep4ex: identifiable representations for intervention extrapolation.

Saengkyongam, Rosenfeld, Ravikumar, Pfister & Peters, "Identifying Representations for Intervention
Extrapolation", ICLR 2024 (arXiv 2310.04295). torch is imported only when :class:`Rep4Ex` is fitted.
"""

from ._control import ControlFunctionExtrapolator
from ._estimator import Rep4Ex

__all__ = ["ControlFunctionExtrapolator", "Rep4Ex"]
