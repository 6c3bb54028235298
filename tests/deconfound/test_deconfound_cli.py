"""The deconfound demo and the ``causalkit deconfound`` subcommand."""

from __future__ import annotations

import pandas as pd

from causalkit import cli
from causalkit.datasets import make_confounded_content
from causalkit.deconfound._cli import DEMO_NAME, run_demo


def test_demo_recovers_entangled_effect():
    out = run_demo(random_state=0)
    assert DEMO_NAME == "deconfound"
    assert abs(out["estimate"] - out["truth"]) < 0.05
    assert abs(out["naive"] - out["truth"]) > 0.1


def test_demo_through_command(capsys):
    assert cli.main(["demo", "deconfound", "--seed", "1"]) == 0
    assert "RewardDeconfounder" in capsys.readouterr().out


def test_subcommand_on_csv(tmp_path, capsys):
    d = make_confounded_content(500, random_state=0)
    frame = pd.concat([d.rewards, d.confounders, d.features], axis=1)
    path = tmp_path / "content.csv"
    frame.to_csv(path, index=False)
    out_path = tmp_path / "adjusted.csv"
    argv = [
        "deconfound",
        str(path),
        "--rewards",
        "reward",
        "--confounders",
        "season,platform",
        "--features",
        "t_spur,t_ent,t_ind",
        "--output",
        str(out_path),
    ]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "t_ent" in text and "DML" in text
    adjusted = pd.read_csv(out_path)["adjusted_reward"]
    assert adjusted.shape == (500,)
    assert cli.main([*argv[:3], "nope", *argv[4:]]) == 2
