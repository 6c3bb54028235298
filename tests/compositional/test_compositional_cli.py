"""`causalkit pcor`: index columns are explicit (`--index-col`), outputs need --force (#12 item 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causalkit import cli
from causalkit.compositional import partial_correlation


def _parts(n=30):
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.uniform(0.5, 2.0, size=(n, 3)), columns=["a", "b", "c"])


def _matrix(path):
    return pd.read_csv(path, index_col=0)


def test_increasing_integer_first_column_is_a_part_by_default(tmp_path, capsys):
    # The first column is a part whose values happen to be 1, 2, ..., n; it used to be dropped as "sample ids".
    parts = _parts().assign(a=np.arange(1, 31))
    parts.to_csv(tmp_path / "parts.csv", index=False)
    assert (
        cli.main(
            ["pcor", str(tmp_path / "parts.csv"), "--matrix", "--out", str(tmp_path / "m.csv")]
        )
        == 0
    )
    m = _matrix(tmp_path / "m.csv")
    assert list(m.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(m.to_numpy(), np.asarray(partial_correlation(parts)), atol=1e-12)
    err = capsys.readouterr().err
    assert "looks like sample ids" in err and "--index-col a" in err  # one hint, nothing dropped


def test_index_col_by_name_and_position(tmp_path, capsys):
    parts = _parts()
    expected = np.asarray(partial_correlation(parts))
    parts.insert(0, "sample", [f"s{i}" for i in range(len(parts))])
    parts.to_csv(tmp_path / "parts.csv", index=False)
    for spec in ("sample", "0"):
        out = tmp_path / f"m_{spec}.csv"
        argv = [
            "pcor",
            str(tmp_path / "parts.csv"),
            "--index-col",
            spec,
            "--matrix",
            "--out",
            str(out),
        ]
        assert cli.main(argv) == 0
        m = _matrix(out)
        assert list(m.columns) == ["a", "b", "c"]
        np.testing.assert_allclose(m.to_numpy(), expected, atol=1e-12)
    capsys.readouterr()
    # without --index-col the id column is an error that says what to do, not silently dropped
    assert cli.main(["pcor", str(tmp_path / "parts.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'sample'" in err and "--index-col" in err
    assert cli.main(["pcor", str(tmp_path / "parts.csv"), "--index-col", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--index-col" in err and "nope" in err


def test_out_is_not_overwritten_without_force(tmp_path, capsys):
    _parts().to_csv(tmp_path / "parts.csv", index=False)
    out = tmp_path / "res.csv"
    out.write_text("precious\n")
    argv = ["pcor", str(tmp_path / "parts.csv"), "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err and str(out) in err
    assert out.read_text() == "precious\n"
    assert cli.main([*argv, "--force"]) == 0
    assert pd.read_csv(out).columns[0] == "part_i"


def test_help_documents_index_col(capsys):
    assert cli.main(["pcor", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--index-col NAME_OR_POSITION" in text and "default: none" in text and "--force" in text
