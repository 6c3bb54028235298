"""`causalkit graph-effect`: duplicate edges counted once, outputs not overwritten without --force (#12 item 16)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from causalkit import cli
from causalkit.datasets import make_network_effect


class _Recorder:
    """Stands in for GraphRLearner: records the edge_index the command passes, fits nothing."""

    seen: ClassVar[list] = []

    def __init__(self, **params):
        pass

    def fit(self, Y, T, *, X, edge_index=None):
        type(self).seen.append(np.asarray(edge_index))
        self.m_hat_ = self.e_hat_ = np.zeros(len(X))
        return self

    def effect(self):
        return self.m_hat_

    def summary(self):
        return "recorded"


@pytest.fixture
def recorder(monkeypatch):
    import causalkit.network

    _Recorder.seen = []
    monkeypatch.setattr(causalkit.network, "GraphRLearner", _Recorder)
    return _Recorder


def _files(tmp_path, edges):
    nodes = pd.DataFrame({"x": np.arange(5.0), "T": [0, 1, 0, 1, 0], "Y": np.arange(5.0)})
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    pd.DataFrame(edges, columns=["src", "dst"]).to_csv(tmp_path / "edges.csv", index=False)
    return [
        "graph-effect",
        str(tmp_path / "nodes.csv"),
        str(tmp_path / "edges.csv"),
        "--treatment",
        "T",
        "--outcome",
        "Y",
        "--out",
        str(tmp_path / "effects.csv"),
    ]


def _pairs(ei):
    return sorted(map(tuple, np.asarray(ei).T.tolist()))


def test_edges_listed_both_ways_count_once(tmp_path, recorder, capsys):
    # (0,1) and (1,0) are one undirected edge; (2,3) is listed twice; (4,4) is a self-loop
    argv = _files(tmp_path, [(0, 1), (1, 0), (2, 3), (2, 3), (1, 2), (4, 4)])
    assert cli.main(argv) == 0
    (ei,) = recorder.seen
    assert _pairs(ei) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2), (4, 4)]
    notes = [line for line in capsys.readouterr().err.splitlines() if "duplicate" in line]
    assert len(notes) == 1 and "dropped 2 duplicate edge(s)" in notes[0]


def test_directed_duplicates_dropped_but_reverse_kept(tmp_path, recorder, capsys):
    argv = _files(tmp_path, [(0, 1), (1, 0), (0, 1)])
    assert cli.main([*argv, "--directed"]) == 0
    assert _pairs(recorder.seen[0]) == [(0, 1), (1, 0)]
    assert "dropped 1 duplicate edge(s)" in capsys.readouterr().err


def test_no_note_without_duplicates(tmp_path, recorder, capsys):
    assert cli.main(_files(tmp_path, [(0, 1), (1, 2)])) == 0
    assert _pairs(recorder.seen[0]) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert "duplicate" not in capsys.readouterr().err


def test_out_over_the_input_is_refused_without_force(tmp_path, recorder, capsys):
    argv = _files(tmp_path, [(0, 1), (1, 2)])
    before = (tmp_path / "nodes.csv").read_text()
    argv[-1] = str(tmp_path / "nodes.csv")  # --out nodes.csv: the input node table
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--out" in err and "--force" in err and "input" in err
    assert (tmp_path / "nodes.csv").read_text() == before and not recorder.seen
    assert cli.main([*argv, "--force"]) == 0  # asked for explicitly
    assert "effect" in (tmp_path / "nodes.csv").read_text()


def test_existing_effects_file_needs_force(tmp_path, recorder, capsys):
    argv = _files(tmp_path, [(0, 1), (1, 2)])
    assert cli.main(argv) == 0
    first = (tmp_path / "effects.csv").read_text()
    assert cli.main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "effects.csv").read_text() == first
    assert cli.main([*argv, "--force"]) == 0


def test_graph_effect_same_effects_for_both_way_listing(tmp_path):
    """End to end (real learner): an edge list with some edges also listed reversed gives the one-way result.

    A property check, not the regression test: the learner's mean operator already ignores repeated edges,
    so this held before too; the regression is in the edge_index the command passes (tests above).
    """
    pytest.importorskip("torch_geometric")
    d = make_network_effect(40, "er", random_state=0)
    nodes = pd.DataFrame(d.X, columns=[f"x{j}" for j in range(5)]).assign(T=d.T, Y=d.Y)
    nodes.to_csv(tmp_path / "nodes.csv", index=False)
    half = d.edge_index[:, d.edge_index[0] < d.edge_index[1]]
    pd.DataFrame({"s": half[0], "t": half[1]}).to_csv(tmp_path / "one_way.csv", index=False)
    some = half[:, : half.shape[1] // 3][::-1]  # a third of the edges listed again, reversed
    both = np.hstack([half, some])
    pd.DataFrame({"s": both[0], "t": both[1]}).to_csv(tmp_path / "both_ways.csv", index=False)
    effects = {}
    for name in ("one_way", "both_ways"):
        argv = ["graph-effect", str(tmp_path / "nodes.csv"), str(tmp_path / f"{name}.csv")]
        argv += ["--treatment", "T", "--outcome", "Y", "--final", "linear", "--out"]
        assert cli.main([*argv, str(tmp_path / f"eff_{name}.csv")]) == 0
        effects[name] = pd.read_csv(tmp_path / f"eff_{name}.csv")["effect"].to_numpy()
    np.testing.assert_allclose(effects["both_ways"], effects["one_way"], rtol=1e-10, atol=1e-12)
