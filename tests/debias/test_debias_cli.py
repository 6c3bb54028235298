"""`causalkit demo debias` and `causalkit debias`."""

from __future__ import annotations

import pandas as pd

from causalkit import cli
from causalkit.datasets import make_linear_shrinkage
from causalkit.debias import _cli


def test_run_demo_recovers_truth():
    out = _cli.run_demo(random_state=0)
    assert set(out) >= {"method", "quantity", "estimate", "truth", "naive"}
    assert out["truth"] == 2.0
    assert out["naive"] < 0.75 * out["truth"]
    assert abs(out["estimate"] - out["truth"]) < 0.25


def test_demo_command_lists_debias(capsys):
    assert cli.main(["demo", "debias"]) == 0
    text = capsys.readouterr().out
    assert "TweedieDebiaser" in text and "2.0000" in text


def test_debias_subcommand(tmp_path, capsys):
    d = make_linear_shrinkage(1000, 500, random_state=0)
    cal = tmp_path / "cal.csv"
    trial = tmp_path / "trial.csv"
    pd.DataFrame({"prediction": d.calibration_predictions, "target": d.calibration_targets}).to_csv(
        cal, index=False
    )
    pd.DataFrame({"prediction": d.predictions, "treatment": d.treatment}).to_csv(trial, index=False)
    rc = cli.main(
        [
            "debias",
            "--calibration",
            str(cal),
            "--trial",
            str(trial),
            "--debiaser",
            "lcc",
            "--inference",
            "analytic",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "LinearCalibrationDebiaser" in text and "naive" in text
    assert (
        cli.main(
            ["debias", "--calibration", str(cal), "--trial", str(trial), "--prediction", "nope"]
        )
        == 2
    )
