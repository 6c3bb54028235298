"""Warning categories raised by causalkit.

Every warning the library raises is a :class:`CausalkitWarning` subclass, so a user can filter all of them
(``warnings.simplefilter("ignore", CausalkitWarning)``) or one kind at a time.

Examples
--------
>>> import warnings
>>> from causalkit.exceptions import CausalkitWarning, ClusterWarning
>>> issubclass(ClusterWarning, CausalkitWarning)
True
"""

from __future__ import annotations

__all__ = [
    "CalibrationWarning",
    "CausalkitWarning",
    "ClusterWarning",
    "CollinearityWarning",
    "ConvergenceWarning",
    "ExtrapolationWarning",
    "FeatureNamesWarning",
    "FinalStageWarning",
    "IllConditionedWarning",
    "OverlapWarning",
    "ShrinkageWarning",
    "SolverWarning",
    "WeakInstrumentWarning",
]


class CausalkitWarning(UserWarning):
    """Base class of every warning causalkit raises."""


class ExtrapolationWarning(CausalkitWarning):
    """A prediction or query lies materially outside the support seen in fitting."""


class OverlapWarning(CausalkitWarning):
    """Treatment propensities are near 0 or 1: effect estimates rest on extrapolation."""


class WeakInstrumentWarning(CausalkitWarning):
    """The instruments are weak: Wald intervals are unreliable."""


class CalibrationWarning(CausalkitWarning):
    """The calibration data cannot support the debiasing correction for this trial."""


class SolverWarning(CausalkitWarning):
    """A numerical solver returned an inaccurate or fallback answer."""


class ConvergenceWarning(CausalkitWarning):
    """An iterative fit stopped before converging."""


class ClusterWarning(CausalkitWarning):
    """Too few clusters for cluster-robust inference to be reliable."""


class CollinearityWarning(CausalkitWarning):
    """Columns of a design are (nearly) collinear or constant."""


class FinalStageWarning(CausalkitWarning):
    """A final stage's cross-validated R-score is near zero, or a simpler final stage fits held-out nodes as well."""


class FeatureNamesWarning(CausalkitWarning):
    """Data at predict/transform time has feature names and fit saw none, or the other way round."""


class IllConditionedWarning(CausalkitWarning):
    """A design is so ill-conditioned that double precision cannot deliver accurate standard errors."""


class ShrinkageWarning(SolverWarning):
    """A shrinkage intensity is at or near 1: the shrunk estimates equal the shrinkage target.

    For compositional partial correlations the target is the closure null, so every partial correlation then
    says only what the sum constraint implies. It subclasses :class:`SolverWarning` (the intensity estimator
    returned its boundary), so filters on that category keep working.
    """
