"""Regression (#12 item 2): `causalkit lipschitz model.pt` must never unpickle code from the user's file."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "causalkit", "lipschitz", *args], capture_output=True, text=True
    )


def test_crafted_pickle_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    model = tmp_path / "evil.pt"
    torch.save(_RunsCode(str(marker)), model)
    proc = _run(str(model))
    assert not marker.exists(), "loading the model file executed code"
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    # the message must not advise pickling whole models (the path itself may contain the word)
    assert "pickl" not in proc.stderr.replace(str(model), "").lower()


def test_state_dict_gives_the_bound_of_its_weights(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)
    proc = _run(str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    import json

    (out,) = json.loads(proc.stdout)  # the certificate: a one-row table
    w = [p.detach().double().numpy() for n, p in net.named_parameters() if n.endswith("weight")]
    naive = np.prod([np.linalg.norm(m, 2) for m in w])
    assert out["naive_bound"] == pytest.approx(naive, rel=1e-6)
    assert out["bound"] <= naive * (1 + 1e-6)
