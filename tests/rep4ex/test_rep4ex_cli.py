"""The rep4ex demo and subcommand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from causalkit import cli
from causalkit.datasets import make_rep4ex_1d
from causalkit.rep4ex import _cli


def test_demo_extrapolates():
    out = _cli.run_demo(random_state=1)
    assert set(out) >= {"estimate", "truth", "naive", "method", "quantity"}
    assert abs(out["estimate"] - out["truth"]) < 0.5 * abs(out["naive"] - out["truth"])


def test_subcommand(tmp_path, capsys):
    d = make_rep4ex_1d(500, random_state=0)
    df = pd.DataFrame(d.X, columns=["x0", "x1", "x2"]).assign(a=d.A[:, 0], y=d.Y)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    rc = cli.main(
        [
            "rep4ex",
            str(path),
            "--x",
            "x0,x1,x2",
            "--a",
            "a",
            "--y",
            "y",
            "--at",
            "0,1.5",
            "--epochs",
            "2",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "E[Y|do(a)]" in text and len(text.strip().splitlines()) == 3
    assert cli.main(["rep4ex", str(path), "--x", "nope", "--a", "a", "--y", "y", "--at", "0"]) == 2
    assert np.isfinite(float(text.strip().splitlines()[1].split()[1]))
