"""``causalkit demo deconfound`` and the ``causalkit deconfound`` subcommand."""

from __future__ import annotations

import sys
from typing import Any

DEMO_NAME = "deconfound"


def run_demo(random_state: int = 0) -> dict[str, Any]:
    """Deconfounded effect of the entangled causal feature on the simulator (truth 1.0)."""
    from causalkit.datasets import make_confounded_content

    from ._estimator import RewardDeconfounder

    d = make_confounded_content(4000, random_state=random_state)
    est = RewardDeconfounder(random_state=random_state).fit(
        d.rewards, d.features, confounders=d.confounders
    )
    j = list(d.features.columns).index("t_ent")
    return {
        "method": "RewardDeconfounder (dml)",
        "quantity": "effect of entangled feature",
        "estimate": float(est.coef_[j]),
        "truth": float(d.coef["t_ent"]),
        "naive": float(est.naive_coef_[j]),
    }


def _cmd(args) -> int:
    import pandas as pd

    from causalkit.cli import (
        CLIUsageError,
        check_complete,
        numeric_columns,
        read_csv,
        require_columns,
        user_errors,
        write_table,
    )

    from ._estimator import RewardDeconfounder

    frame = read_csv(args.csv)
    needed = list(dict.fromkeys([args.rewards, *args.confounders, *args.features]))
    require_columns(frame, needed, args.csv)
    check_complete(frame, needed, args.csv)
    for flag, cols in (("--confounders", args.confounders), ("--features", args.features)):
        if args.rewards in cols:
            raise CLIUsageError(flag, f"includes the reward column {args.rewards!r}")
    both = [c for c in args.features if c in args.confounders]
    if both:
        raise CLIUsageError("--features", f"column(s) {both} are also given as --confounders")
    rewards = numeric_columns(frame, [args.rewards], args.csv)[args.rewards]
    # A confounder column without a single number is categorical (e.g. season, platform): one-hot encode it.
    # A numeric column with a stray non-numeric cell is an error (numeric_columns names the line).
    categorical = [
        c
        for c in args.confounders
        if not pd.api.types.is_numeric_dtype(frame[c])
        and pd.to_numeric(frame[c], errors="coerce").isna().all()
    ]
    numeric = [c for c in args.confounders if c not in categorical]
    confounders = numeric_columns(frame, numeric, args.csv)
    if categorical:
        dummies = pd.get_dummies(frame[categorical].astype(str), drop_first=True, dtype=float)
        confounders = pd.concat([confounders, dummies], axis=1)
    est = RewardDeconfounder(method=args.method, cv=args.cv, random_state=args.seed)
    with user_errors(args.csv):
        est.fit(rewards, frame[args.features], confounders=confounders)
    print(est.summary())
    if args.out:
        out = frame.assign(adjusted_reward=est.adjusted_rewards_)
        write_table(out, args.out, args.format, index=False)
        print(f"adjusted rewards written to {args.out}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``causalkit deconfound CSV --rewards y --confounders c1,c2 --features t1,t2``."""
    p = subparsers.add_parser(
        "deconfound",
        help="remove known confounders' effect from observational rewards (RewardDeconfounder)",
    )
    from causalkit.cli import (
        add_format_argument,
        add_output_argument,
        add_renamed_flag,
        column_list,
        input_file,
        int_at_least,
        seed,
    )

    p.add_argument("csv", type=input_file, help="CSV file with one row per content item")
    p.add_argument("--rewards", required=True, help="reward column")
    p.add_argument(
        "--confounders",
        required=True,
        type=column_list,
        help="comma-separated confounder columns (a column of labels, e.g. season names, is one-hot encoded)",
    )
    p.add_argument(
        "--features",
        required=True,
        type=column_list,
        help="comma-separated content-feature columns",
    )
    p.add_argument(
        "--method",
        default="dml",
        choices=["dml", "joint", "naive", "residualize_confounders"],
    )
    p.add_argument("--cv", type=int_at_least(2), default=2, help="cross-fitting folds (default 2)")
    p.add_argument("--seed", type=seed, default=0)
    add_renamed_flag(p, "--output", "--out")
    add_output_argument(
        p,
        "--out",
        help="write the data with an added adjusted_reward column here (see --force, --format)",
    )
    add_format_argument(p)
    p.set_defaults(func=_cmd)
