from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from causalkit import cli
from causalkit.datasets import make_diagonal_network


def test_demo_entry():
    from causalkit.solvers._cli import run_demo

    out = run_demo(0)
    assert out["truth"] == 2.0 and out["estimate"] == pytest.approx(2.0, rel=1e-5)
    assert out["naive"] == pytest.approx(6.0)


def test_lipschitz_command_npz(tmp_path, capsys):
    weights, _ = make_diagonal_network()
    path = tmp_path / "w.npz"
    np.savez(path, W1=weights[0], W2=weights[1])
    assert cli.main(["lipschitz", str(path), "--method", "layer", "--format", "json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)  # one row: the certificate
    assert out["bound"] == pytest.approx(3.1945, abs=1e-4) and out["certified"]
    assert out["model"] == str(path) and out["method"] == "layer" and out["naive_bound"] == 6.0


def test_lipschitz_command_table_output(tmp_path, capsys):
    """The CLI dialect: --out writes the one-row certificate table (csv), refuses to overwrite without
    --force; with neither --out nor --format the certificate is printed as text; --json was renamed."""
    import pandas as pd

    weights, _ = make_diagonal_network()
    path, table = tmp_path / "w.npz", tmp_path / "bound.csv"
    np.savez(path, W1=weights[0], W2=weights[1])
    argv = ["lipschitz", str(path), "--method", "naive", "--out", str(table)]
    assert cli.main(argv) == 0 and capsys.readouterr().out == ""
    frame = pd.read_csv(table, index_col="model")
    assert list(frame.index) == [str(path)] and frame["bound"].iloc[0] == 6.0
    assert bool(frame["certified"].iloc[0]) and frame["status"].iloc[0] == "closed_form"
    assert cli.main(argv) == 2 and "--force" in capsys.readouterr().err
    assert cli.main([*argv, "--force"]) == 0
    assert cli.main(["lipschitz", str(path), "--method", "naive"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split() == ["bound", "6.0"] and "closed_form" in text
    assert cli.main(["lipschitz", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "--json" in err and "--format json" in err and len(err.strip().splitlines()) == 1


def test_lipschitz_command_torch(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    assert (
        cli.main(
            ["lipschitz", str(path), "--activation", "tanh", "--norm", "inf", "--format", "json"]
        )
        == 0
    )
    (out,) = json.loads(capsys.readouterr().out)
    assert out["certified"] and out["bound"] <= out["naive_bound"] + 1e-9


def test_missing_file(capsys):
    assert cli.main(["lipschitz", "/nonexistent/w.npz"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/w.npz" in err and "no such file" in err and "Traceback" not in err


def test_import_without_cvxpy_or_torch():
    import subprocess
    import sys

    code = (
        "import sys, causalkit.solvers, causalkit.datasets; "
        "print('torch' in sys.modules, 'cvxpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]
