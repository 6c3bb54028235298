"""Shared machinery: validation, cross-fitting, parallelism, inference/results objects, optional imports."""

from ._bootstrap import (
    BootstrapReplicates,
    bootstrap,
    bootstrap_replicates,
    resample_indices,
    warn_dropped_replicates,
)
from .crossfit import CrossFitResult, crossfit_predict, make_folds, make_splitter
from .inference import EffectResult, Summary, delta_method, ols_inference, sandwich_cov
from .optional import optional_import, resolve_device, seed_torch, torch_threads
from .parallel import parallel_map, root_seed, spawn_seeds
from .results import EffectMixin, InferenceMixin
from .testing import check_sklearn_contract
from .validation import (
    as_list_of_names,
    check_1d,
    check_2d,
    check_binary_treatment,
    check_consistent_length,
    check_feature_names,
    check_finite,
    check_generator,
    check_groups,
    check_int,
    check_n_clusters,
    check_random_state,
    check_scalar_in_range,
    check_weights,
    feature_names_of,
    warn_no_overlap,
)

__all__ = [
    "BootstrapReplicates",
    "CrossFitResult",
    "EffectMixin",
    "EffectResult",
    "InferenceMixin",
    "Summary",
    "as_list_of_names",
    "bootstrap",
    "bootstrap_replicates",
    "check_1d",
    "check_2d",
    "check_binary_treatment",
    "check_consistent_length",
    "check_feature_names",
    "check_finite",
    "check_generator",
    "check_groups",
    "check_int",
    "check_n_clusters",
    "check_random_state",
    "check_scalar_in_range",
    "check_sklearn_contract",
    "check_weights",
    "crossfit_predict",
    "delta_method",
    "feature_names_of",
    "make_folds",
    "make_splitter",
    "ols_inference",
    "optional_import",
    "parallel_map",
    "resample_indices",
    "resolve_device",
    "root_seed",
    "sandwich_cov",
    "seed_torch",
    "spawn_seeds",
    "torch_threads",
    "warn_dropped_replicates",
    "warn_no_overlap",
]
