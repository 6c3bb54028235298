from __future__ import annotations

import subprocess
import sys

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
