"""``causalkit demo rep4ex`` and ``causalkit rep4ex`` (intervention extrapolation from a CSV file)."""

from __future__ import annotations

import argparse
import sys

DEMO_NAME = "rep4ex"


def run_demo(random_state: int = 0) -> dict:
    """Rep4Ex on the spec's 1-D simulation (n = 4000, actions in [-1, 1]); E[Y | do(A = 1.5)] out of support.

    ``naive`` is an MLP regression of Y on A evaluated at a = 1.5 (it cannot extrapolate).
    """
    import warnings

    from sklearn.neural_network import MLPRegressor

    from causalkit.datasets import make_rep4ex_1d

    from ._estimator import Rep4Ex

    a_star = 1.5
    d = make_rep4ex_1d(4000, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = Rep4Ex(random_state=random_state).fit(d.X, d.A, d.Y)
        estimate = float(est.predict_intervention([a_star])[0])
    mlp = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=500, random_state=random_state)
    naive = float(mlp.fit(d.A, d.Y).predict([[a_star]])[0])
    return {
        "method": "Rep4Ex",
        "quantity": f"E[Y|do(A={a_star})], train |A|<=1",
        "estimate": estimate,
        "truth": float(d.truth([a_star])[0]),
        "naive": naive,
    }


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rep4ex",
        help="intervention extrapolation E[Y | do(A = a)] with Rep4Ex from a CSV file",
        description="Fit Rep4Ex on a CSV file and print E[Y | do(A = a)] at the requested action values "
        "(one action column; several --at values).",
    )
    p.add_argument("csv", help="CSV file with the observation, action and outcome columns")
    p.add_argument(
        "--x", nargs="+", required=True, help="columns of the high-dimensional observation X"
    )
    p.add_argument("--a", required=True, help="column of the (exogenous, 1-D) action A")
    p.add_argument("--y", required=True, help="outcome column")
    p.add_argument(
        "--at", nargs="+", type=float, required=True, help="action values a to predict at"
    )
    p.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_cmd_rep4ex)


def _cmd_rep4ex(args: argparse.Namespace) -> int:
    import pandas as pd

    from ._estimator import Rep4Ex

    df = pd.read_csv(args.csv)
    missing = [c for c in [*args.x, args.a, args.y] if c not in df.columns]
    if missing:
        print(f"causalkit rep4ex: column(s) not in {args.csv}: {missing}", file=sys.stderr)
        return 2
    est = Rep4Ex(max_epochs=args.epochs, random_state=args.seed)
    est.fit(df[args.x], df[[args.a]], df[args.y])
    out = pd.DataFrame(
        {
            "a": args.at,
            "E[Y|do(a)]": est.predict_intervention(args.at),
            "fraction_outside_support": est.support_fraction(args.at),
        }
    )
    print(out.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0
