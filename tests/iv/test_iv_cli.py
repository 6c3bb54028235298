from __future__ import annotations

import numpy as np
import pandas as pd

from causalkit import cli
from causalkit.iv._cli import DEMO_NAME, run_demo


def test_demo_close_to_truth_and_better_than_naive():
    out = run_demo(random_state=0)
    assert DEMO_NAME == "iv"
    assert abs(out["estimate"] - out["truth"]) < 0.2
    assert abs(out["naive"] - out["truth"]) > 0.4
    assert cli.main(["demo", "iv"]) == 0


def test_ivl_subcommand(tmp_path, capsys):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 2))
    u = rng.normal(size=300)
    x = z.sum(axis=1) + u
    df = pd.DataFrame({"y": 2 * x + u, "x": x, "z1": z[:, 0], "z2": z[:, 1]})
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    assert (
        cli.main(
            ["ivl", str(path), "--y", "y", "--x", "x", "--instruments", "z1,z2", "--alpha", "0"]
        )
        == 0
    )
    text = capsys.readouterr().out
    # the estimator's label is "ivl_alpha=0" since the parameter rename (#12); "alpha=0" before
    assert ("IVL regression (ivl_alpha=0)" in text or "IVL regression (alpha=0)" in text) and (
        "first_stage_F" in text
    )
    assert cli.main(["ivl", str(path), "--y", "y", "--x", "nope", "--instruments", "z1"]) == 2
