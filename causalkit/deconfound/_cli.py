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
    est = RewardDeconfounder(random_state=random_state).fit(d.rewards, d.confounders, d.features)
    j = list(d.features.columns).index("t_ent")
    return {
        "method": "RewardDeconfounder (dml)",
        "quantity": "effect of entangled feature",
        "estimate": float(est.coef_[j]),
        "truth": float(d.coef["t_ent"]),
        "naive": float(est.naive_coef_[j]),
    }


def _split(cols: str) -> list[str]:
    return [c.strip() for c in cols.split(",") if c.strip()]


def _cmd(args) -> int:
    import pandas as pd

    from ._estimator import RewardDeconfounder

    frame = pd.read_csv(args.csv)
    needed = [args.rewards, *_split(args.confounders), *_split(args.features)]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        print(f"causalkit deconfound: column(s) not in {args.csv}: {missing}", file=sys.stderr)
        return 2
    est = RewardDeconfounder(method=args.method, cv=args.cv, random_state=args.seed)
    est.fit(frame[args.rewards], frame[_split(args.confounders)], frame[_split(args.features)])
    print(est.summary())
    if args.output:
        out = frame.assign(adjusted_reward=est.adjusted_rewards_)
        out.to_csv(args.output, index=False)
        print(f"adjusted rewards written to {args.output}")
    return 0


def register(subparsers) -> None:
    """Add ``causalkit deconfound CSV --rewards y --confounders c1,c2 --features t1,t2``."""
    p = subparsers.add_parser(
        "deconfound",
        help="remove known confounders' effect from observational rewards (RewardDeconfounder)",
    )
    p.add_argument("csv", help="CSV file with one row per content item")
    p.add_argument("--rewards", required=True, help="reward column")
    p.add_argument("--confounders", required=True, help="comma-separated confounder columns")
    p.add_argument("--features", required=True, help="comma-separated content-feature columns")
    p.add_argument(
        "--method",
        default="dml",
        choices=["dml", "joint", "naive", "residualize_confounders"],
    )
    p.add_argument("--cv", type=int, default=2, help="cross-fitting folds (default 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", help="write the CSV with an added adjusted_reward column here")
    p.set_defaults(func=_cmd)
