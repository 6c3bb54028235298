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
            ["ivl", str(path), "--y", "y", "--x", "x", "--instruments", "z1,z2", "--ivl-alpha", "0"]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "IVL regression (ivl_alpha=0)" in text and "first_stage_F" in text
    assert cli.main(["ivl", str(path), "--y", "y", "--x", "nope", "--instruments", "z1"]) == 2


def _ivl_data(tmp_path):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(200, 2))
    u = rng.normal(size=200)
    x = z.sum(axis=1) + u
    path = tmp_path / "d.csv"
    pd.DataFrame({"y": 2 * x + u, "x": x, "z1": z[:, 0], "z2": z[:, 1]}).to_csv(path, index=False)
    return path


def test_ivl_renamed_alpha_flag_exits_2_naming_the_new_flag(tmp_path, capsys):
    # --alpha was the ERM weight; it is --ivl-alpha now (alpha is a CI level elsewhere): never a silent change
    path = _ivl_data(tmp_path)
    args = ["ivl", str(path), "--y", "y", "--x", "x", "--instruments", "z1,z2", "--alpha", "0"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--alpha" in err and "renamed to --ivl-alpha" in err


def test_ivl_table_output_csv_and_json(tmp_path, capsys):
    from causalkit.iv import IVLRegression

    path = _ivl_data(tmp_path)
    base = ["ivl", str(path), "--y", "y", "--x", "x", "--instruments", "z1,z2", "--ivl-alpha", "0"]
    frame = pd.read_csv(path)
    coef = IVLRegression(ivl_alpha=0.0).fit(
        frame[["x"]], frame["y"], instruments=frame[["z1", "z2"]]
    )
    expected = coef.inference_.summary_frame()
    out = tmp_path / "coef.csv"
    assert cli.main([*base, "--out", str(out)]) == 0
    written = pd.read_csv(out, index_col="term")
    np.testing.assert_allclose(written["estimate"], expected["estimate"], rtol=1e-12)
    assert cli.main([*base, "--out", str(out)]) == 2  # exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert cli.main([*base, "--out", str(out), "--force", "--format", "json"]) == 0
    records = pd.read_json(out)
    assert list(records["term"]) == list(expected.index)
    np.testing.assert_allclose(records["std_err"], expected["std_err"], rtol=1e-12)
    capsys.readouterr()
    assert cli.main([*base, "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].startswith("term,estimate,std_err")
