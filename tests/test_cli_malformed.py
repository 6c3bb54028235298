"""Every subcommand on malformed files and bad option values: exit status 2, one line on stderr, no traceback.

Regression for #12 item 15 (56 of 100 malformed-input or misuse runs ended in a raw traceback). The subcommands
are discovered from the argparse parser; ``EXAMPLES`` holds one small valid invocation per subcommand, and
``test_every_subcommand_has_an_example`` fails when a new subcommand is added without one, so every subcommand
is covered. Runs are in-process (``cli.main``) on tiny inputs; two real subprocess runs check the end-to-end
behaviour.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalkit import cli


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the causalkit parser has no subcommands")


SUBCOMMANDS = _subcommands()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run in a scratch folder: a relative or default output (e.g. effects.csv) never lands in the tree."""
    monkeypatch.chdir(tmp_path)


def _rng():
    return np.random.default_rng(0)


def _debias_cal():
    t = _rng().normal(size=40)
    return pd.DataFrame({"prediction": 0.6 * t + 0.1 * _rng().normal(size=40), "target": t})


def _debias_trial():
    rng = _rng()
    return pd.DataFrame({"prediction": rng.normal(size=40), "treatment": np.tile([0, 1], 20)})


def _ivl_data():
    rng = _rng()
    z = rng.normal(size=(40, 2))
    u = rng.normal(size=40)
    x = z.sum(axis=1) + u
    return pd.DataFrame({"y": 2 * x + u, "x": x, "z1": z[:, 0], "z2": z[:, 1]})


def _pcor_data():
    return pd.DataFrame(_rng().uniform(0.1, 1.0, size=(20, 4)), columns=list("abcd"))


def _deconfound_data():
    rng = _rng()
    c = rng.normal(size=40)
    t = rng.normal(size=40) + c
    return pd.DataFrame({"reward": t + c + rng.normal(size=40), "c1": c, "t1": t})


def _rep4ex_data():
    rng = _rng()
    a = rng.uniform(-1, 1, size=60)
    return pd.DataFrame({"x0": a + rng.normal(size=60), "x1": rng.normal(size=60), "a": a, "y": a})


def _nodes():
    rng = _rng()
    return pd.DataFrame(
        {"x0": rng.normal(size=12), "T": np.tile([0, 1], 6), "Y": rng.normal(size=12)}
    )


def _edges():
    return pd.DataFrame({"src": np.arange(11), "dst": np.arange(1, 12)})


def _weights():
    rng = _rng()
    return {"W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(2, 4))}


# subcommand -> (argv with {slot} placeholders, {slot: (kind, valid content)}); an "out" kind is an output path
EXAMPLES = {
    "demo": (["demo", "compositional"], {}),
    "debias": (
        [
            "debias",
            "--calibration",
            "{cal}",
            "--trial",
            "{trial}",
            "--debiaser",
            "lcc",
            "--inference",
            "analytic",
        ],
        {"cal": ("csv", _debias_cal), "trial": ("csv", _debias_trial)},
    ),
    "ivl": (
        ["ivl", "{data}", "--y", "y", "--x", "x", "--instruments", "z1,z2", "--ivl-alpha", "0"],
        {"data": ("csv", _ivl_data)},
    ),
    "pcor": (
        ["pcor", "{data}", "--out", "{out}"],
        {"data": ("csv", _pcor_data), "out": ("out", None)},
    ),
    "deconfound": (
        [
            "deconfound",
            "{data}",
            "--rewards",
            "reward",
            "--confounders",
            "c1",
            "--features",
            "t1",
            "--out",
            "{out}",
        ],
        {"data": ("csv", _deconfound_data), "out": ("out", None)},
    ),
    "rep4ex": (
        [
            "rep4ex",
            "{data}",
            "--x",
            "x0,x1",
            "--a",
            "a",
            "--y",
            "y",
            "--at",
            "0.5",
            "--epochs",
            "1",
        ],
        {"data": ("csv", _rep4ex_data)},
    ),
    "graph-effect": (
        [
            "graph-effect",
            "{nodes}",
            "{edges}",
            "--treatment",
            "T",
            "--outcome",
            "Y",
            "--features",
            "x0",
            "--source",
            "src",
            "--target",
            "dst",
            "--final",
            "linear",
            "--out",
            "{out}",
        ],
        {"nodes": ("csv", _nodes), "edges": ("csv", _edges), "out": ("out", None)},
    ),
    "lipschitz": (
        ["lipschitz", "{weights}", "--method", "naive", "--out", "{out}"],
        {"weights": ("npz", _weights), "out": ("out", None)},
    ),
    "dask-ivl": (["dask-ivl", "--n-samples", "2000", "--chunk-size", "1000"], {}),
}


def _write_valid(kind, content, path: Path) -> None:
    if kind == "csv":
        content().to_csv(path, index=False)
    elif kind == "npz":
        np.savez(path, **content())


def _set_cell(frame: pd.DataFrame, value) -> pd.DataFrame:
    frame = frame.astype(object)
    frame.iloc[1, 0] = value
    return frame


# malformed CSV files: name -> writer(valid frame factory, path)
CSV_CASES = {
    "missing": lambda f, p: None,
    "empty": lambda f, p: p.write_bytes(b""),
    "blank_lines": lambda f, p: p.write_text("\n  \n\n"),
    "header_only": lambda f, p: f().iloc[:0].to_csv(p, index=False),
    "non_numeric_cell": lambda f, p: _set_cell(f(), "abc").to_csv(p, index=False),
    "nan_cell": lambda f, p: _set_cell(f(), np.nan).to_csv(p, index=False),
    "inf_cell": lambda f, p: _set_cell(f(), np.inf).to_csv(p, index=False),
    "huge_cell": lambda f, p: _set_cell(f(), "1e400").to_csv(p, index=False),
    "wrong_column_name": lambda f, p: (
        f().rename(columns={f().columns[0]: "zzz"}).to_csv(p, index=False)
    ),
    "ragged_row": lambda f, p: p.write_text(f().to_csv(index=False) + "1,2,3,4,5,6,7,8\n"),
    "latin1_text": lambda f, p: p.write_bytes(
        f().to_csv(index=False).replace(",", "\xe9,", 1).encode("latin-1")
    ),
    "directory": lambda f, p: p.mkdir(),
    "binary_garbage": lambda f, p: p.write_bytes(bytes(range(256)) * 8),
    # pandas silently renames a repeated name x to x.1, so a command would pick one of the two
    "duplicate_column_name": lambda f, p: (
        f().rename(columns={f().columns[1]: f().columns[0]}).to_csv(p, index=False)
    ),
    "semicolon_separated": lambda f, p: f().to_csv(p, index=False, sep=";"),
}


def _npz_object(p: Path) -> None:
    np.savez(p, W1=np.array([{"a": 1}, None], dtype=object))


NPZ_CASES = {
    "missing": lambda f, p: None,
    "empty": lambda f, p: p.write_bytes(b""),
    "directory": lambda f, p: p.mkdir(),
    "binary_garbage": lambda f, p: p.write_bytes(bytes(range(256)) * 8),
    "no_arrays": lambda f, p: np.savez(p),
    "nan_cell": lambda f, p: np.savez(p, W1=np.full((4, 3), np.nan), W2=np.ones((2, 4))),
    "inf_cell": lambda f, p: np.savez(p, W1=np.full((4, 3), np.inf), W2=np.ones((2, 4))),
    "non_numeric_cell": lambda f, p: np.savez(p, W1=np.array([["a", "b"], ["c", "d"]])),
    "object_array": lambda f, p: _npz_object(p),
    "one_dimensional": lambda f, p: np.savez(p, W1=np.ones(3)),
    "shape_mismatch": lambda f, p: np.savez(p, W1=np.ones((4, 3)), W2=np.ones((2, 5))),
    "empty_array": lambda f, p: np.savez(p, W1=np.ones((0, 3))),
    "npy_in_disguise": lambda f, p: p.write_bytes(_npy_bytes()),
}


def _npy_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, np.ones((3, 3)))
    return buf.getvalue()


CASES = {"csv": CSV_CASES, "npz": NPZ_CASES}
# (subcommand, slot, case) that are not malformed for that subcommand: pcor uses every column, whatever its name
NOT_MALFORMED = {("pcor", "data", "wrong_column_name")}


def _materialise(
    name: str, tmp_path: Path, bad_slot: str | None = None, bad_case: str | None = None
):
    """Write the example's files (one slot malformed) and return (argv, {slot: path})."""
    template, slots = EXAMPLES[name]
    paths = {}
    for slot, (kind, content) in slots.items():
        path = tmp_path / f"{slot}.{'csv' if kind == 'out' else kind}"
        if kind == "out":
            path = tmp_path / f"result_{slot}.csv"
        elif slot == bad_slot:
            path = tmp_path / f"bad_{slot}.{kind}"
            CASES[kind][bad_case](content, path)
        else:
            _write_valid(kind, content, path)
        paths[slot] = path
    argv = [a.format(**{k: str(v) for k, v in paths.items()}) for a in template]
    return argv, paths


def _run(argv, capsys):
    """``causalkit.cli.main(argv)`` in-process: (exit status, stdout, stderr). Other exceptions propagate."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_user_error(code, out, err, *mentions):
    assert "Traceback" not in err and "Traceback" not in out
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("causalkit"), err
    assert any(m in lines[0] for m in mentions), (mentions, err)


def test_every_subcommand_has_an_example():
    assert set(SUBCOMMANDS) == set(EXAMPLES), "add a small valid invocation to EXAMPLES"


def _file_params():
    out = []
    for name in SUBCOMMANDS:
        for slot, (kind, _) in EXAMPLES.get(name, ([], {}))[1].items():
            if kind in CASES:
                out += [
                    pytest.param(name, slot, case, id=f"{name}-{slot}-{case}")
                    for case in CASES[kind]
                    if (name, slot, case) not in NOT_MALFORMED
                ]
    return out


@pytest.mark.parametrize(("name", "slot", "case"), _file_params())
def test_malformed_input_file(name, slot, case, tmp_path, capsys):
    argv, paths = _materialise(name, tmp_path, slot, case)
    code, out, err = _run(argv, capsys)
    _assert_user_error(code, out, err, paths[slot].name)


def _output_params():
    out = []
    for name in SUBCOMMANDS:
        for slot, (kind, _) in EXAMPLES.get(name, ([], {}))[1].items():
            if kind == "out":
                out += [
                    pytest.param(name, slot, case, id=f"{name}-{slot}-{case}")
                    for case in ("missing_folder", "existing_file", "is_directory")
                ]
    return out


@pytest.mark.parametrize(("name", "slot", "case"), _output_params())
def test_bad_output_path(name, slot, case, tmp_path, capsys):
    argv, paths = _materialise(name, tmp_path)
    target = paths[slot]
    if case == "missing_folder":
        bad = tmp_path / "no_such_folder" / "out.csv"
    elif case == "existing_file":
        bad = tmp_path / "precious.csv"
        bad.write_text("keep me\n")
    else:
        bad = tmp_path / "a_folder"
        bad.mkdir()
    argv = [str(bad) if a == str(target) else a for a in argv]
    code, out, err = _run(argv, capsys)
    _assert_user_error(code, out, err, bad.name, "no_such_folder")
    if case == "existing_file":
        assert bad.read_text() == "keep me\n"
    assert not (tmp_path / "no_such_folder").exists()


# option values that are wrong for a specific flag (range, not type); non-numeric and NaN values are tried on
# every option that has a type (discovered from the parser).
BAD_VALUES = {
    "demo": {"--seed": ["-1", "1.5"]},
    "debias": {"--n-bootstrap": ["0", "-3"], "--seed": ["-1"]},
    "ivl": {"--ivl-alpha": ["abc", "-1", "nan", ""], "--alpha": ["0"]},
    "pcor": {
        "--alpha": ["0", "1", "1.5", "-0.1"],
        "--bootstrap": ["-5"],
        "--top": ["0"],
        "--shrinkage": ["2", "-1", "nan"],
        "--zero-replacement": ["-1", "1", "nan"],
        "--seed": ["-2"],
    },
    "deconfound": {"--cv": ["1", "0"], "--seed": ["-1"]},
    "rep4ex": {"--epochs": ["0"], "--at": ["nan", "inf", "abc"], "--seed": ["-1"]},
    "graph-effect": {"--threads": ["0"], "--seed": ["-1"]},
    "lipschitz": {"--split-size": ["0"], "--output-index": ["a", "1,2,3", "-1", "99", "0,0"]},
    "dask-ivl": {
        "--n-samples": ["0", "-10", "abc", "1e400", "nan"],
        "--chunk-size": ["0", "-1"],
        "--workers": ["-1"],
        "--ivl-alpha": ["-1", "nan"],
        "--alpha": ["0"],
        "--seed": ["-1"],
    },
}


def _rejects(type_, value) -> bool:
    try:
        type_(value)
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return True
    return False


def _typed_flags(parser: argparse.ArgumentParser):
    """(flag, values its own ``type`` rejects) for every option with a type: those must exit 2 too."""
    for action in parser._actions:
        if action.option_strings and action.type is not None and action.nargs != 0:
            values = [v for v in ("abc", "nan") if _rejects(action.type, v)]
            if values:
                yield action.option_strings[-1], values


def _flag_params():
    out = []
    for name, parser in SUBCOMMANDS.items():
        values = dict(_typed_flags(parser))
        for flag, extra in BAD_VALUES.get(name, {}).items():
            values[flag] = list(dict.fromkeys([*values.get(flag, []), *extra]))
        for flag, vals in values.items():
            out += [pytest.param(name, flag, v, id=f"{name}-{flag}={v}") for v in vals]
    return out


@pytest.mark.parametrize(("name", "flag", "value"), _flag_params())
def test_bad_option_value(name, flag, value, tmp_path, capsys):
    argv, _ = _materialise(name, tmp_path)
    code, out, err = _run([*argv, f"{flag}={value}"], capsys)
    _assert_user_error(code, out, err, flag)


# one column in two roles: (subcommand, flag to change, new value, flag the message must name)
ROLE_CLASHES = [
    ("ivl", "--x", "y", "--x"),  # the outcome as a regressor
    ("ivl", "--instruments", "z1,y", "--instruments"),
    ("deconfound", "--features", "reward", "--features"),
    ("deconfound", "--features", "c1", "--features"),  # a confounder as a feature
    ("graph-effect", "--features", "T", "--features"),
    ("graph-effect", "--outcome", "T", "--outcome"),
]


@pytest.mark.parametrize(("name", "flag", "value", "named"), ROLE_CLASHES)
def test_column_in_two_roles(name, flag, value, named, tmp_path, capsys):
    argv, _ = _materialise(name, tmp_path)
    code, out, err = _run([*argv, flag, value], capsys)
    _assert_user_error(code, out, err, named)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_help_works(name, capsys):
    code, out, err = _run([name, "--help"], capsys)
    assert code == 0 and out.startswith("usage: causalkit") and "Traceback" not in err


def test_unknown_demo_method_is_one_line(capsys):
    code, out, err = _run(["demo", "no-such-method"], capsys)
    _assert_user_error(code, out, err, "no-such-method")


def _subprocess(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "causalkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_end_to_end_missing_and_empty_file(tmp_path):
    proc = _subprocess(["ivl", "nope.csv", "--y", "y", "--x", "x", "--instruments", "z"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "nope.csv" in proc.stderr
    (tmp_path / "empty.csv").write_bytes(b"")
    proc = _subprocess(["pcor", "empty.csv"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "empty.csv" in proc.stderr


def test_end_to_end_bad_option_and_output_folder(tmp_path):
    _pcor_data().to_csv(tmp_path / "parts.csv", index=False)
    proc = _subprocess(["pcor", "parts.csv", "--out", "missing/out.csv"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing" in proc.stderr
    proc = _subprocess(["pcor", "parts.csv", "--bootstrap", "5", "--alpha", "1.5"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "--alpha" in proc.stderr


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_valid(name, tmp_path, capsys):
    """The examples themselves run (so the malformed runs fail for the malformation, not the example)."""
    if name in ("rep4ex", "graph-effect"):
        pytest.importorskip("torch")
    if name == "dask-ivl":
        pytest.importorskip("dask")
    argv, _ = _materialise(name, tmp_path)
    code, _out, err = _run(argv, capsys)
    assert code == 0, err
    assert "Traceback" not in err
