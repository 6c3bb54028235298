"""CLI hooks: the `causalkit demo` entry and `causalkit pcor data.csv`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEMO_NAME = "compositional"


def run_demo(random_state: int = 0) -> dict[str, Any]:
    """Partial correlation of two neighbouring parts of a simulated chain network, vs the population value.

    ``naive`` is the ordinary partial correlation of the log proportions (what one gets by ignoring closure).
    """
    import numpy as np

    from causalkit.datasets import make_logratio_network

    from ._estimator import partial_correlation

    data = make_logratio_network(
        n_samples=5000, n_parts=8, edge_strength=0.4, random_state=random_state
    )
    est = np.asarray(partial_correlation(data.X))
    L = np.log(data.X.to_numpy())
    Pi = np.linalg.inv(np.cov(L.T))
    naive = -Pi[0, 1] / np.sqrt(Pi[0, 0] * Pi[1, 1])
    return {
        "method": "CompositionalPartialCorrelation",
        "quantity": "pcor(part0, part1)",
        "estimate": float(est[0, 1]),
        "truth": float(data.partial_corr[0, 1]),
        "naive": float(naive),
    }


_AUTO_INDEX_NAMES = {"", "rownames", "id", "sample", "sample_id", "index"}


def _read_table(path: str, index_col: str):
    import pandas as pd

    frame = pd.read_csv(path)
    if frame.shape[1] == 0:
        raise SystemExit(f"causalkit pcor: {path} has no columns")
    first = str(frame.columns[0])
    col = frame.iloc[:, 0]
    looks_like_ids = (
        first.strip().lower() in _AUTO_INDEX_NAMES
        or first.startswith("Unnamed:")
        or not pd.api.types.is_numeric_dtype(col)
        # a strictly increasing run of integers (1, 2, 3, ...) is a sample number, not a part
        or (
            pd.api.types.is_integer_dtype(col)
            and col.is_monotonic_increasing
            and col.is_unique
            and len(col) > 2
        )
    )
    if index_col == "first" or (index_col == "auto" and looks_like_ids):
        frame = frame.set_index(frame.columns[0])
        print(f"using column {first!r} as sample ids (override with --index-col)", file=sys.stderr)
    return frame


def _parse_shrinkage(value: str | None):
    if value is None or value.lower() == "none":
        return None
    if value == "basis":
        return "basis"
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--shrinkage must be 'basis', 'none' or a number in [0, 1]; got {value!r}"
        ) from None


def _parse_zero(value: str | None):
    if value is None or value.lower() == "none":
        return None
    if value == "min":
        return "min"
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--zero-replacement must be 'min', 'none' or a number in (0, 1); got {value!r}"
        ) from None


def _cmd_pcor(args) -> int:
    import numpy as np
    import pandas as pd

    from ._estimator import CompositionalPartialCorrelation

    try:
        frame = _read_table(args.data, args.index_col)
    except (OSError, ValueError) as exc:  # missing file, unreadable or empty CSV
        print(f"causalkit pcor: cannot read {args.data}: {exc}", file=sys.stderr)
        return 2
    est = CompositionalPartialCorrelation(
        shrinkage=args.shrinkage,
        zero_replacement=args.zero_replacement,
        n_bootstrap=args.bootstrap or 200,
        random_state=args.seed,
    )
    try:
        est.fit(frame)
    except (ValueError, TypeError) as exc:
        print(f"causalkit pcor: {exc}", file=sys.stderr)
        return 2
    if args.matrix:
        names = est._names()
        result = pd.DataFrame(np.asarray(est.partial_corr_), index=names, columns=names)
    else:
        result = est.summary_frame()
        if args.bootstrap:
            ci = est.conf_int(alpha=args.alpha).set_index(["part_i", "part_j"])
            keys = list(zip(result["part_i"], result["part_j"]))
            result["lower"] = ci.loc[keys, "lower"].to_numpy()
            result["upper"] = ci.loc[keys, "upper"].to_numpy()
    print(
        f"{frame.shape[0]} samples x {frame.shape[1]} parts; shrinkage λ = {est.shrinkage_:.4g}",
        file=sys.stderr,
    )
    if args.out:
        result.to_csv(args.out, index=args.matrix)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        with pd.option_context("display.width", 200, "display.max_rows", 60):
            print(result.head(args.top).to_string(float_format=lambda x: f"{x:.4f}"))
    return 0


def register(subparsers) -> None:
    """Add ``causalkit pcor``."""
    p = subparsers.add_parser(
        "pcor",
        help="compositional partial correlations of a CSV of samples x parts",
        description=(
            "Partial correlations between the parts of a composition (Erb 2020), reference-free, "
            "optionally with basis shrinkage (propr's pcor.bshrink). Input: CSV, one row per sample, "
            "one column per part (positive values; any row totals)."
        ),
    )
    p.add_argument("data", help="CSV file, samples x parts")
    p.add_argument(
        "--shrinkage",
        type=_parse_shrinkage,
        default=None,
        help="'basis' (analytic λ, as corpcor), a fixed λ in [0, 1], or 'none' (default)",
    )
    p.add_argument(
        "--zero-replacement",
        type=_parse_zero,
        default=None,
        help="'min' (smallest non-zero value, as propr) or a proportion in (0, 1); default: zeros raise",
    )
    p.add_argument(
        "--index-col",
        choices=["auto", "first", "none"],
        default="auto",
        help="use the first column as sample ids: 'auto' (default) when it is non-numeric, unnamed, "
        "named rownames/id/sample/index, or a strictly increasing run of integers",
    )
    p.add_argument("--out", help="write the result as CSV here instead of printing it")
    p.add_argument(
        "--matrix", action="store_true", help="output the D x D matrix, not the pair list"
    )
    p.add_argument(
        "--bootstrap", type=int, default=0, help="add percentile bootstrap CIs (replicates)"
    )
    p.add_argument("--alpha", type=float, default=0.05, help="CI level 1 - alpha (default 0.05)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the bootstrap")
    p.add_argument("--top", type=int, default=20, help="pairs printed to the terminal (default 20)")
    p.set_defaults(func=_cmd_pcor)
