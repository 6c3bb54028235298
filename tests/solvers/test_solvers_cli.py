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
    assert cli.main(["lipschitz", str(path), "--method", "layer", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bound"] == pytest.approx(3.1945, abs=1e-4) and out["certified"]


def test_lipschitz_command_torch(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    assert (
        cli.main(["lipschitz", str(path), "--activation", "tanh", "--norm", "inf", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
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
