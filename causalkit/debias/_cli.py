"""`causalkit demo debias` and the `causalkit debias` subcommand."""

from __future__ import annotations

import argparse

DEMO_NAME = "debias"


def run_demo(random_state: int = 0) -> dict:
    """Tweedie-corrected ATE on predictions with nonlinear (tail) shrinkage; the true ATE is 2."""
    from causalkit.datasets import make_nonlinear_shrinkage

    from ._ate import DebiasedATE
    from ._debiasers import TweedieDebiaser

    d = make_nonlinear_shrinkage(
        n_trial=10000, n_calibration=2000, n_unlabeled=20000, random_state=random_state
    )
    # warnings (e.g. ExtrapolationWarning) reach the user: `causalkit demo` shows each once, as one line
    est = DebiasedATE(TweedieDebiaser(), inference="analytic").fit(
        d.predictions,
        d.treatment,
        calibration=(d.calibration_predictions, d.calibration_targets),
        unlabeled_predictions=d.unlabeled_predictions,
    )
    return {
        "method": "TweedieDebiaser + DebiasedATE",
        "quantity": "ATE on predicted outcome",
        "estimate": est.effect_,
        "truth": d.ate,
        "naive": est.naive_effect_,
    }


def _cmd_debias(args) -> int:
    from causalkit.cli import emit_table, numeric_columns, read_csv, user_errors

    from ._ate import DebiasedATE
    from ._debiasers import LinearCalibrationDebiaser, TweedieDebiaser

    cal = read_csv(args.calibration)
    trial = read_csv(args.trial)
    cal = numeric_columns(cal, [args.prediction, args.target], args.calibration)
    trial = numeric_columns(
        trial, [args.prediction, args.treatment, *(args.covariates or [])], args.trial
    )
    debiaser = LinearCalibrationDebiaser() if args.debiaser == "lcc" else TweedieDebiaser()
    covariates = trial[args.covariates] if args.covariates else None
    with user_errors(f"{args.trial} (calibration {args.calibration})"):
        est = DebiasedATE(
            debiaser,
            method=args.method,
            inference=args.inference,
            n_bootstrap=args.n_bootstrap,
            random_state=args.seed,
        ).fit(
            trial[args.prediction],
            trial[args.treatment],
            calibration=(cal[args.prediction], cal[args.target]),
            covariates=covariates,
        )
    emit_table(est.inference_.summary_frame(), args, summary=est.summary())
    return 0


def register(subparsers) -> None:
    """Add ``causalkit debias``: corrected ATE from a calibration CSV and a trial CSV."""
    from causalkit.cli import add_table_output, column_list, input_file, positive_int, seed

    p = subparsers.add_parser(
        "debias",
        help="ATE on ML-predicted outcomes, corrected for shrinkage (LCC or Tweedie)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--calibration",
        required=True,
        type=input_file,
        help="CSV of held-out (prediction, truth) pairs",
    )
    p.add_argument(
        "--trial", required=True, type=input_file, help="CSV of trial units (prediction, treatment)"
    )
    p.add_argument("--prediction", default="prediction", help="prediction column (both files)")
    p.add_argument("--target", default="target", help="true-outcome column (calibration file)")
    p.add_argument("--treatment", default="treatment", help="0/1 treatment column (trial file)")
    p.add_argument(
        "--covariates",
        type=column_list,
        default=None,
        help="comma-separated covariate columns (trial file)",
    )
    p.add_argument("--debiaser", choices=["tweedie", "lcc"], default="tweedie")
    p.add_argument("--method", choices=["difference", "ipw", "regression"], default="difference")
    p.add_argument("--inference", choices=["bootstrap", "analytic"], default="bootstrap")
    p.add_argument("--n-bootstrap", type=positive_int, default=500)
    p.add_argument("--seed", type=seed, default=0)
    add_table_output(p, what="the ATE table (corrected and naive)")
    p.set_defaults(func=_cmd_debias)
