"""Shared machinery: validation, cross-fitting, parallelism, inference/results objects, optional imports.

Names are imported from their submodule on first use (:func:`~causalkit._base.lazy.lazy_exports`), so importing
this package, a family package or the CLI stays fast.
"""

from .lazy import lazy_exports

_EXPORTS = {
    "BootstrapReplicates": "._bootstrap",
    "CrossFitResult": ".crossfit",
    "EffectMixin": ".results",
    "EffectResult": ".inference",
    "InferenceMixin": ".results",
    "Summary": ".inference",
    "as_list_of_names": ".validation",
    "bootstrap": "._bootstrap",
    "bootstrap_replicates": "._bootstrap",
    "check_1d": ".validation",
    "check_2d": ".validation",
    "check_binary_treatment": ".validation",
    "check_consistent_length": ".validation",
    "check_feature_names": ".validation",
    "check_finite": ".validation",
    "check_generator": ".validation",
    "check_groups": ".validation",
    "check_int": ".validation",
    "check_n_clusters": ".validation",
    "check_random_state": ".validation",
    "check_scalar_in_range": ".validation",
    "check_sklearn_contract": ".testing",
    "check_weights": ".validation",
    "crossfit_predict": ".crossfit",
    "delta_method": ".inference",
    "feature_names_of": ".validation",
    "make_folds": ".crossfit",
    "make_splitter": ".crossfit",
    "ols_inference": ".inference",
    "optional_import": ".optional",
    "pandas_like": ".validation",
    "parallel_map": ".parallel",
    "progress_bar": ".progress",
    "resample_indices": "._bootstrap",
    "resolve_device": ".optional",
    "root_seed": ".parallel",
    "sandwich_cov": ".inference",
    "spawn_seeds": ".parallel",
    "torch_threads": ".optional",
    "user_stacklevel": ".validation",
    "warn_dropped_replicates": "._bootstrap",
    "warn_no_overlap": ".validation",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
