"""Simulators with known ground truth and small bundled data sets.

Each method family keeps its simulators in its own module (``_debias``, ``_iv``, ...); all are re-exported here.
None of them imports torch.
"""

from . import _compositional, _debias, _deconfound, _iv, _network, _rep4ex, _scaling, _solvers
from ._compositional import *  # noqa: F403
from ._debias import *  # noqa: F403
from ._deconfound import *  # noqa: F403
from ._iv import *  # noqa: F403
from ._network import *  # noqa: F403
from ._rep4ex import *  # noqa: F403
from ._scaling import *  # noqa: F403
from ._solvers import *  # noqa: F403

__all__ = sorted(
    set(
        _compositional.__all__
        + _debias.__all__
        + _deconfound.__all__
        + _iv.__all__
        + _network.__all__
        + _rep4ex.__all__
        + _scaling.__all__
        + _solvers.__all__
    )
)
