from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import causalkit
from causalkit import cli


def test_version(capsys):
    try:
        cli.main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert causalkit.__version__ in capsys.readouterr().out


def test_help_lists_demo(capsys):
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_unknown_demo_method_fails(capsys):
    assert cli.main(["demo", "no-such-method"]) == 2


def test_console_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "causalkit", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "causalkit" in proc.stdout


def test_import_is_light():
    """`import causalkit` must not pull torch or cvxpy."""
    code = "import sys, causalkit; print('torch' in sys.modules, 'cvxpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


# ---- #12 item 15: `causalkit demo` on a core-only install skips what it cannot run, and says why

_BLOCK_EXTRAS = """
import sys

BLOCK = {"torch", "torch_geometric", "cvxpy", "dask", "distributed"}


class _Blocker:  # as if the optional extras were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, _Blocker())
from causalkit import cli

sys.exit(cli.main(sys.argv[1:]))
"""


def _core_only(*args):
    return subprocess.run(
        [sys.executable, "-c", _BLOCK_EXTRAS, *args], capture_output=True, text=True, timeout=300
    )


def test_demo_on_core_install_skips_with_one_line_each():
    proc = _core_only("demo", "lipsdp", "rep4ex", "graph-rlearner", "ivl-dask", "compositional")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "CompositionalPartialCorrelation" in proc.stdout  # the demo that can run, runs
    lines = proc.stderr.strip().splitlines()
    skipped = {line.split()[3].rstrip(":"): line for line in lines if "skipped" in line}
    assert set(skipped) == {"lipsdp", "rep4ex", "graph-rlearner", "ivl-dask"}, proc.stderr
    assert "cvxpy" in skipped["lipsdp"] and "torch" in skipped["rep4ex"]
    assert "torch" in skipped["graph-rlearner"] and "dask" in skipped["ivl-dask"]
    assert all('pip install "causalkit[' in line for line in skipped.values())


def test_demo_only_unavailable_methods_exits_2():
    proc = _core_only("demo", "rep4ex")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "rep4ex" in proc.stderr


def test_demo_skip_in_process(monkeypatch, capsys):
    """A demo whose optional dependency is missing is skipped; the others' rows are printed."""
    from causalkit._base import optional_import

    class Works:
        DEMO_NAME = "works"

        @staticmethod
        def run_demo(random_state=0):
            return {"estimate": 1.0, "truth": 1.0, "naive": 0.0}

    class NeedsExtra:
        DEMO_NAME = "needs-extra"

        @staticmethod
        def run_demo(random_state=0):
            optional_import("causalkit_no_such_module_xyz")

    class Buggy:
        DEMO_NAME = "buggy"

        @staticmethod
        def run_demo(random_state=0):
            from causalkit import no_such_name  # noqa: F401  (a bug, not a missing extra)

    modules = {"a": NeedsExtra, "b": Works}
    monkeypatch.setattr(cli, "_load_family_modules", lambda *a, **k: modules)
    assert cli.main(["demo"]) == 0
    out, err = capsys.readouterr()
    assert "works" in out and "1.0000" in out
    assert err.strip().splitlines() == [
        "causalkit demo: skipped needs-extra: causalkit_no_such_module_xyz is required for this "
        'feature but is not installed. Install it with: pip install "causalkit[all]"'
    ]
    modules["c"] = Buggy  # a genuine bug still shows its traceback
    with pytest.raises(ImportError):
        cli.main(["demo"])


def test_missing_extra_in_a_subcommand_is_one_line(monkeypatch, tmp_path, capsys):
    import numpy as np

    np.savez(tmp_path / "w.npz", W1=np.eye(2))

    def no_cvxpy(*args, **kwargs):
        from causalkit._base import optional_import

        optional_import("causalkit_no_such_module_xyz", "sdp")

    monkeypatch.setattr("causalkit.solvers._lipschitz.lipschitz_bound", no_cvxpy)
    assert cli.main(["lipschitz", str(tmp_path / "w.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing optional dependency" in err[0] and "[sdp]" in err[0]


def test_warnings_reach_the_user_once_as_one_line(monkeypatch, capsys):
    """Named causalkit warnings are shown (not silenced), once each, as one line on stderr."""
    import warnings

    from causalkit.exceptions import ExtrapolationWarning

    class Warns:
        DEMO_NAME = "warns"

        @staticmethod
        def run_demo(random_state=0):
            for _ in range(3):
                warnings.warn(
                    "outside the support\nsecond line", ExtrapolationWarning, stacklevel=2
                )
            return {"estimate": 1.0, "truth": 1.0, "naive": 0.0}

    monkeypatch.setattr(cli, "_load_family_modules", lambda *a, **k: {"w": Warns})
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # a caller's blanket filter does not hide them from a CLI user
        assert cli.main(["demo"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["causalkit demo: warning: ExtrapolationWarning: outside the support second line"]


def test_a_real_import_error_in_a_family_cli_is_shown_not_swallowed(monkeypatch):
    # a missing optional dependency leaves the family out (with its reason); a broken causalkit module is a bug
    def fake_import(name):
        if name == "causalkit.debias._cli":
            raise ImportError("cannot import name 'Gone' from 'causalkit.debias._ate'")
        missing = ModuleNotFoundError("No module named 'torch'", name="torch")
        raise ImportError("the rep4ex family needs torch") from missing

    monkeypatch.setattr(cli, "CLI_MODULES", ["debias._cli"])
    monkeypatch.setattr(cli.importlib, "import_module", fake_import)
    with pytest.raises(ImportError, match="cannot import name 'Gone'"):
        cli.build_parser()
    monkeypatch.setattr(cli, "CLI_MODULES", ["rep4ex._cli"])
    errors: dict[str, str] = {}
    assert cli._load_family_modules(errors=errors) == {}
    assert "torch" in errors["rep4ex._cli"]


def test_version_does_not_import_the_families():
    # `causalkit --version` must answer without importing numpy-heavy family code (well under a second)
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from causalkit import cli\n"
        "try:\n"
        "    cli.main(['--version'])\n"
        "finally:\n"
        "    heavy = sorted(m for m in ('torch', 'sklearn', 'scipy', 'pandas', 'cvxpy') if m in sys.modules)\n"
        "    print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_one_flag_dialect_across_subcommands():
    # #13 item 8: output files are --out (never --output), lists are one comma-separated argument (no nargs
    # lists), and a table can be written as csv or json with --format where the command prints a table
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sp in sub.choices.items():
        visible = [a for a in sp._actions if a.help != "==SUPPRESS==" and a.dest != "help"]
        flags = {s for a in visible for s in a.option_strings}
        assert "--output" not in flags, f"{name} uses --output; the dialect is --out"
        lists = [a.option_strings for a in visible if a.nargs in ("+", "*") and a.option_strings]
        assert not lists, f"{name}: {lists} take space-separated lists; use comma-separated ones"
        if name != "demo":
            assert {"--out", "--format", "--force"} <= flags, name


def test_renamed_output_flag_of_deconfound_exits_2(tmp_path, capsys):
    assert cli.main(["deconfound", __file__, "--rewards", "r", "--output", "x.csv"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "renamed to --out" in err


def test_file_tables_are_written_as_csv_or_json(tmp_path):
    # pcor, deconfound and graph-effect write their --out table as csv (default) or json with the same values
    import pandas as pd

    data = Path(causalkit.__file__).parent / "datasets" / "data" / "roman_cups.csv"
    csv_out, json_out = tmp_path / "p.csv", tmp_path / "p.json"
    base = ["pcor", str(data), "--index-col", "0"]
    assert cli.main([*base, "--out", str(csv_out)]) == 0
    assert cli.main([*base, "--out", str(json_out), "--format", "json"]) == 0
    from_csv, from_json = pd.read_csv(csv_out), pd.read_json(json_out)
    assert list(from_json.columns) == list(from_csv.columns) and len(from_json) == len(from_csv)
    np.testing.assert_allclose(from_json["partial_corr"], from_csv["partial_corr"], rtol=1e-12)
