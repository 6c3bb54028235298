"""``causalkit demo rep4ex`` and ``causalkit rep4ex`` (intervention extrapolation from a CSV file)."""

from __future__ import annotations

import argparse

DEMO_NAME = "rep4ex"


def run_demo(random_state: int = 0) -> dict:
    """Rep4Ex on the spec's 1-D simulation (n = 4000, actions in [-1, 1]); E[Y | do(A = 1.5)] out of support.

    ``naive`` is an MLP regression of Y on A evaluated at a = 1.5 (it cannot extrapolate).
    """
    from sklearn.neural_network import MLPRegressor

    from causalkit.datasets import make_rep4ex_1d

    from ._estimator import Rep4Ex

    a_star = 1.5
    d = make_rep4ex_1d(4000, random_state=random_state)
    # warnings reach the user: `causalkit demo` shows each once, as one line
    est = Rep4Ex(random_state=random_state).fit(d.Y, d.A, X=d.X)
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
    from causalkit.cli import (
        add_table_output,
        column_list,
        input_file,
        number_list,
        positive_int,
        seed,
    )

    p.add_argument(
        "csv", type=input_file, help="CSV file with the observation, action and outcome columns"
    )
    p.add_argument(
        "--x",
        type=column_list,
        required=True,
        help="comma-separated columns of the high-dimensional observation X",
    )
    p.add_argument("--a", required=True, help="column of the (exogenous, 1-D) action A")
    p.add_argument("--y", required=True, help="outcome column")
    p.add_argument(
        "--at",
        type=number_list,
        required=True,
        help="comma-separated action values a to predict at (e.g. 0,1.5)",
    )
    p.add_argument("--epochs", type=positive_int, default=100, help="training epochs (default 100)")
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    add_table_output(p, what="the table of E[Y | do(a)]")
    p.set_defaults(func=_cmd_rep4ex)


def _cmd_rep4ex(args: argparse.Namespace) -> int:
    import pandas as pd

    from causalkit.cli import emit_table, numeric_columns, read_csv, user_errors

    from ._estimator import Rep4Ex

    cols = list(dict.fromkeys([*args.x, args.a, args.y]))
    df = numeric_columns(read_csv(args.csv), cols, args.csv)
    est = Rep4Ex(max_epochs=args.epochs, random_state=args.seed)
    with user_errors(args.csv):
        est.fit(df[args.y], df[[args.a]], X=df[args.x])
        out = pd.DataFrame(
            {
                "a": args.at,
                "E[Y|do(a)]": est.predict_intervention(args.at),
                "fraction_outside_support": est.support_fraction(args.at),
            }
        )
    text = out.to_string(index=False, float_format=lambda x: f"{x:.4f}")
    emit_table(out.set_index("a"), args, summary=text)
    return 0
