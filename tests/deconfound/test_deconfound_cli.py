"""The deconfound demo and the ``causalkit deconfound`` subcommand."""

from __future__ import annotations

import pandas as pd
import pytest

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
        "--out",
        str(out_path),
    ]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "t_ent" in text and "DML" in text
    adjusted = pd.read_csv(out_path)["adjusted_reward"]
    assert adjusted.shape == (500,)
    assert cli.main([*argv[:3], "nope", *argv[4:]]) == 2


def test_categorical_confounders_are_one_hot_encoded(tmp_path, capsys):
    """`--confounders season,platform` with label columns (the README example) works (#12 item 15 probes).

    It used to exit with "confounders must be numeric"; the CLI now one-hot encodes a column of labels and gives
    the same coefficients as fitting on the dummies directly.
    """
    import numpy as np

    from causalkit import RewardDeconfounder

    rng = np.random.default_rng(0)
    n = 400
    season = rng.choice(["winter", "spring", "summer"], size=n)
    platform = rng.choice(["web", "app"], size=n)
    shift = pd.Series(season).map({"winter": 0.0, "spring": 1.0, "summer": 2.0}).to_numpy()
    f1 = rng.normal(size=n) + shift
    reward = 0.5 * f1 + shift + (platform == "app") + rng.normal(size=n)
    frame = pd.DataFrame({"clicks": reward, "season": season, "platform": platform, "f1": f1})
    frame.to_csv(tmp_path / "d.csv", index=False)
    argv = ["deconfound", str(tmp_path / "d.csv"), "--rewards", "clicks"]
    argv += ["--confounders", "season,platform", "--features", "f1", "--method", "joint"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "season_summer" in out and "platform_web" in out  # the dummies are the confounders
    dummies = pd.get_dummies(frame[["season", "platform"]], drop_first=True, dtype=float)
    direct = RewardDeconfounder(method="joint", cv=2, random_state=0)
    direct.fit(frame["clicks"], frame[["f1"]], confounders=dummies)
    assert abs(direct.coef_[0] - 0.5) < 0.15  # the design recovers the truth (0.5)
    f1_row = next(line for line in out.splitlines() if line.startswith("f1 "))
    assert float(f1_row.split()[1]) == pytest.approx(direct.coef_[0], rel=1e-3)
    # a numeric confounder column with one stray label is an error naming the line, not a category
    bad = frame.assign(season=shift).astype({"season": object})
    bad.loc[3, "season"] = "x"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    assert cli.main([argv[0], str(tmp_path / "bad.csv"), *argv[2:]]) == 2
    err = capsys.readouterr().err
    assert "line 5" in err and "'season'" in err
