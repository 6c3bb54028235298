"""Shared machinery: validation, cross-fitting, parallelism, inference/results objects, optional imports."""

from ._bootstrap import bootstrap
from .crossfit import CrossFitResult, crossfit_predict, make_folds, make_splitter
from .inference import EffectResult, Summary, ols_inference
from .optional import optional_import, resolve_device, seed_torch
from .parallel import parallel_map, root_seed, spawn_seeds
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
    check_n_clusters,
    check_random_state,
    check_scalar_in_range,
    check_weights,
    feature_names_of,
    warn_no_overlap,
)

__all__ = [
    "CrossFitResult",
    "EffectResult",
    "Summary",
    "as_list_of_names",
    "bootstrap",
    "check_1d",
    "check_2d",
    "check_binary_treatment",
    "check_consistent_length",
    "check_feature_names",
    "check_finite",
    "check_generator",
    "check_groups",
    "check_n_clusters",
    "check_random_state",
    "check_scalar_in_range",
    "check_sklearn_contract",
    "check_weights",
    "crossfit_predict",
    "feature_names_of",
    "make_folds",
    "make_splitter",
    "ols_inference",
    "optional_import",
    "parallel_map",
    "resolve_device",
    "root_seed",
    "seed_torch",
    "spawn_seeds",
    "warn_no_overlap",
]
