"""Test configuration: single-threaded torch/BLAS, CUDA skip for `gpu` tests, shared paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Two threads on two loaded cores run 30-100x slower; every test process uses one.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

try:
    import torch

    torch.set_num_threads(1)
    _HAS_CUDA = torch.cuda.is_available()
except ImportError:  # core-only install
    _HAS_CUDA = False

try:  # property-based suite (tests/test_properties.py): HYPOTHESIS_PROFILE=thorough for `make test-all`
    from hypothesis import Phase as _HypPhase
    from hypothesis import settings as _hyp_settings

    # default: deterministic and fast (no shrinking; rerun with thorough for a minimal example)
    _hyp_settings.register_profile(
        "default",
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[_HypPhase.explicit, _HypPhase.generate],
    )
    _hyp_settings.register_profile("thorough", max_examples=300, deadline=None, database=None)
    _hyp_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # hypothesis is a test extra
    pass

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config, items):
    if _HAS_CUDA:
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture
def shared_data() -> Path:
    """Folder ../shared/data beside the checkout (skips when absent)."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA
