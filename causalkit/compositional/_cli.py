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


def _looks_like_ids(frame) -> bool:
    """Whether the first column looks like sample ids (only used for a hint; nothing is dropped by guess)."""
    import pandas as pd

    first = str(frame.columns[0])
    col = frame.iloc[:, 0]
    return (
        first.strip().lower() in _AUTO_INDEX_NAMES
        or first.startswith("Unnamed:")
        # a strictly increasing run of integers (1, 2, 3, ...) is likely a sample number
        or (
            pd.api.types.is_integer_dtype(col)
            and col.is_monotonic_increasing
            and col.is_unique
            and len(col) > 2
        )
    )


def _read_table(path: str, index_col: str | None):
    """Samples x parts, and whether (without ``index_col``) the first column looks like sample ids.

    ``index_col`` (a column name or a 0-based position) holds the sample ids; by default there is none.
    """
    from causalkit.cli import CLIUsageError, numeric_columns, read_csv

    frame = read_csv(path)
    if index_col is not None:
        if index_col in frame.columns:
            name = index_col
        else:
            try:
                pos = int(index_col)
            except ValueError:
                pos = -1
            if not 0 <= pos < frame.shape[1]:
                raise CLIUsageError(
                    "--index-col",
                    f"{index_col!r} is neither a column of {path} nor a position 0..{frame.shape[1] - 1}",
                )
            name = frame.columns[pos]
        frame = frame.set_index(name)
        if frame.shape[1] == 0:
            raise CLIUsageError(path, f"no part columns besides the index column {name!r}")
    hint = "; if a column holds sample ids, name it with --index-col" if index_col is None else ""
    ids = index_col is None and _looks_like_ids(frame)
    return numeric_columns(frame, list(frame.columns), path, hint=hint), ids


def _parse_shrinkage(value: str | None):
    if value is None or value.lower() == "none":
        return None
    if value == "basis":
        return "basis"
    try:
        lam = float(value)
    except ValueError:
        lam = float("nan")
    if not 0.0 <= lam <= 1.0:  # also rejects NaN
        raise argparse.ArgumentTypeError(
            f"expected 'basis', 'none' or a number in [0, 1]; got {value!r}"
        ) from None
    return lam


def _parse_zero(value: str | None):
    if value is None or value.lower() == "none":
        return None
    if value == "min":
        return "min"
    try:
        delta = float(value)
    except ValueError:
        delta = float("nan")
    if not 0.0 < delta < 1.0:  # also rejects NaN
        raise argparse.ArgumentTypeError(
            f"expected 'min', 'none' or a number in (0, 1); got {value!r}"
        ) from None
    return delta


def _cmd_pcor(args) -> int:
    import numpy as np
    import pandas as pd

    from causalkit.cli import CLIUsageError, user_errors, write_table

    from ._estimator import CompositionalPartialCorrelation

    frame, ids = _read_table(args.data, args.index_col)
    first = str(frame.columns[0])
    id_hint = f"; column {first!r} looks like sample ids: if it is, pass --index-col {first}"
    est = CompositionalPartialCorrelation(
        shrinkage=args.shrinkage,
        zero_replacement=args.zero_replacement,
        n_bootstrap=args.bootstrap,  # 0: no bootstrap, no intervals
        random_state=args.seed,
    )
    try:
        est.fit(frame)
    except (ValueError, TypeError) as exc:
        raise CLIUsageError(args.data, " ".join(f"{exc}{id_hint if ids else ''}".split())) from exc
    if ids:
        print(
            f"causalkit pcor: note: column {first!r} looks like sample ids but is used as a part; "
            f"pass --index-col {first} if it holds ids",
            file=sys.stderr,
        )
    if args.matrix:
        names = est._names()
        result = pd.DataFrame(np.asarray(est.partial_corr_), index=names, columns=names)
    else:
        result = est.summary_frame()
        if args.bootstrap:
            with user_errors(args.data):
                ci = est.conf_int(alpha=args.alpha)  # rows: the pairs in upper-triangle order
            ci = est._long({"lower": ci["lower"].to_numpy(), "upper": ci["upper"].to_numpy()})
            ci = ci.set_index(["part_i", "part_j"])
            keys = list(zip(result["part_i"], result["part_j"]))
            result["lower"] = ci.loc[keys, "lower"].to_numpy()
            result["upper"] = ci.loc[keys, "upper"].to_numpy()
    print(
        f"{frame.shape[0]} samples x {frame.shape[1]} parts; shrinkage λ = {est.shrinkage_:.4g}",
        file=sys.stderr,
    )
    if args.out:
        write_table(result, args.out, args.format, index=args.matrix)
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
    from causalkit.cli import (
        add_format_argument,
        add_output_argument,
        input_file,
        nonnegative_int,
        positive_int,
        probability,
        seed,
    )

    p.add_argument("data", type=input_file, help="CSV file, samples x parts")
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
        metavar="NAME_OR_POSITION",
        default=None,
        help="the column of sample ids (a name, or a 0-based position: 0 is the first column); "
        "default: none, every column is a part (a first column is no longer guessed to be ids)",
    )
    add_output_argument(
        p, "--out", help="write the result here instead of printing it (see --force, --format)"
    )
    add_format_argument(p)
    p.add_argument(
        "--matrix", action="store_true", help="output the D x D matrix, not the pair list"
    )
    p.add_argument(
        "--bootstrap",
        type=nonnegative_int,
        default=0,
        help="add percentile bootstrap CIs (replicates)",
    )
    p.add_argument(
        "--alpha", type=probability, default=0.05, help="CI level 1 - alpha (default 0.05)"
    )
    p.add_argument("--seed", type=seed, default=0, help="random seed for the bootstrap")
    p.add_argument(
        "--top", type=positive_int, default=20, help="pairs printed to the terminal (default 20)"
    )
    p.set_defaults(func=_cmd_pcor)
