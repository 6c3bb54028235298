"""The ``causalkit`` command.

Each method family contributes through its own CLI module (``causalkit.<family>._cli``; listed in
``CLI_MODULES``), which may define

- ``DEMO_NAME`` (str) and ``run_demo(random_state: int) -> dict`` with keys ``estimate``, ``truth``, ``naive``
  (and optionally ``method``, ``quantity``): one run of the method on its built-in simulation with known truth;
- ``register(subparsers)``: adds the family's own subcommands (e.g. ``causalkit pcor``).

A family whose module or optional dependencies are missing is skipped, so the command works on a core install
(``causalkit demo`` says, one line per demo, what it skipped and why).

User errors (a missing, empty or malformed file, a bad column name or option value, an output file that exists,
a missing optional dependency) end with exit status 2 and one line on stderr,
``causalkit <command>: error: <file or --flag>: <what is wrong>``; only bugs show a traceback. The helpers below
give the family modules one way to do that: argparse ``type=`` functions (``input_file``, ``output_file``,
``probability``, ``positive_int``, ``seed``, ...), ``read_csv`` and ``numeric_columns`` for input tables,
``user_errors`` around an estimator call, ``add_output_argument`` (refuses to overwrite unless ``--force``),
``write_csv`` and ``CLIUsageError``. Warnings reach the user once each, as one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import __version__

# ----------------------------------------------------------------------------------------------- user errors


class CLIUsageError(Exception):
    """A user error: ``causalkit`` prints ``<prog>: error: <where>: <message>`` and exits with status 2.

    ``where`` names the file or option at fault (e.g. ``"data.csv"`` or ``"--alpha"``).
    """

    def __init__(self, where: str | None, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (``<prog>: error: <argument>: <what is wrong>``, status 2).

    Sub-parsers inherit the class, so every subcommand reports its usage errors the same way.
    """

    def error(self, message: str):  # type: ignore[override]
        message = message.removeprefix("argument ")
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")


def _type(name: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    def deco(fn):
        fn.__name__ = name  # argparse names the type in its messages
        return fn

    return deco


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}")
    return value


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None


@_type("probability")
def probability(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1 (e.g. ``--alpha``)."""
    value = _number(text, "a number strictly between 0 and 1")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a number strictly between 0 and 1; got {text!r}"
        )
    return value


@_type("finite number")
def finite_float(text: str) -> float:
    """An argparse type: a finite number."""
    value = _number(text, "a finite number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return value


@_type("comma-separated numbers")
def number_list(text: str) -> list[float]:
    """An argparse type: comma-separated finite numbers (at least one), e.g. ``0,1.5,3``."""
    parts = [c.strip() for c in text.split(",") if c.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers; got {text!r}")
    return [finite_float(part) for part in parts]


@_type("non-negative number or 'inf'")
def nonnegative_float_or_inf(text: str) -> float:
    """An argparse type: a number ``>= 0``, or ``inf``."""
    value = _number(text, "a number >= 0 or 'inf'")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'inf'; got {text!r}")
    return value


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse type: an integer ``>= low``."""

    @_type(f"integer >= {low}")
    def parse(text: str) -> int:
        value = _integer(text, f"an integer >= {low}")
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}; got {text!r}")
        return value

    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)


@_type("seed")
def seed(text: str) -> int:
    """An argparse type: a random seed, an integer in ``[0, 2**32)``."""
    value = _integer(text, "an integer seed in [0, 2**32)")
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer seed in [0, 2**32); got {text!r}")
    return value


@_type("count")
def count(text: str) -> int:
    """An argparse type: a positive whole number, also written as a float (``1e7``)."""
    value = _number(text, "a positive whole number (e.g. 1000 or 1e6)")
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number (e.g. 1000 or 1e6); got {text!r}"
        )
    return int(value)


@_type("column list")
def column_list(text: str) -> list[str]:
    """An argparse type: comma-separated column names (at least one)."""
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names; got {text!r}")
    return names


@_type("input file")
def input_file(text: str) -> str:
    """An argparse type: an existing, readable file (not a folder)."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"cannot read {text}: no such file")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot read {text}: it is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {text}: permission denied")
    return str(path)


@_type("output file")
def output_file(text: str) -> str:
    """An argparse type: a file path in an existing, writable folder (an existing file needs ``--force``)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected an output file name; got ''")
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: it is a folder, not a file")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(
            f"cannot write {text}: folder {str(folder)!r} does not exist"
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {text}: permission denied")
    return str(path)


def add_output_argument(
    parser: argparse.ArgumentParser, *flags: str, **kwargs: Any
) -> argparse.Action:
    """Add an output-file option (``type=output_file``) and, once per parser, ``--force``.

    ``main`` refuses to overwrite an existing file unless ``--force`` is given.
    """
    action = parser.add_argument(*flags, type=output_file, **kwargs)
    if "--force" not in parser._option_string_actions:
        parser.add_argument(
            "--force", action="store_true", help="overwrite an existing output file"
        )
    return action


def add_table_output(parser: argparse.ArgumentParser, *, what: str = "the results table") -> None:
    """The one output dialect of every subcommand that produces a table.

    ``--out FILE`` writes ``what`` to FILE (refused if it exists, unless ``--force``) instead of printing it;
    ``--format csv|json`` chooses the file format (default: ``csv``; printed to stdout when ``--out`` is not
    given and ``--format`` is). Use :func:`emit_table` to write it.
    """
    add_output_argument(parser, "--out", default=None, help=f"write {what} to this file")
    parser.add_argument(
        "--format",
        choices=["csv", "json"],
        default=None,
        help="format of the table (default: csv for --out; a printed summary on stdout otherwise)",
    )


def emit_table(frame, args: argparse.Namespace, *, summary: Any = None) -> None:
    """Write ``frame`` as :func:`add_table_output` promised.

    With neither ``--out`` nor ``--format``, ``summary`` (or the frame) is printed as text; with ``--format`` and
    no ``--out``, the table goes to stdout in that format; with ``--out``, to the file (``--format``, default csv).
    """
    out, fmt = getattr(args, "out", None), getattr(args, "format", None)
    if out is None and fmt is None:
        print(summary if summary is not None else frame.to_string())
        return
    fmt = fmt or "csv"
    target = out if out is not None else sys.stdout
    try:
        if fmt == "csv":
            frame.to_csv(target)
        else:
            text = frame.reset_index().to_json(orient="records", double_precision=15)
            if out is None:
                print(text)
            else:
                Path(out).write_text(text + "\n")
    except OSError as exc:
        raise CLIUsageError(out, f"cannot write: {exc.strerror or _one_line(exc)}") from None


class _RenamedFlag(argparse.Action):
    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        self.new = new
        super().__init__(option_strings, dest, nargs="?", help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(f"{option_string}: was renamed to {self.new} (causalkit 0.2)")


def add_renamed_flag(parser: argparse.ArgumentParser, old: str, new: str) -> None:
    """A hidden ``old`` flag that exits with status 2 saying it is now ``new`` (no silent change of meaning)."""
    parser.add_argument(old, action=_RenamedFlag, new=new, dest=f"_renamed_{old.strip('-')}")


def _check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    sub = _subparser(parser, getattr(args, "command", None))
    if sub is None or getattr(args, "force", False):
        return
    inputs = {
        getattr(args, a.dest): a
        for a in sub._actions
        if a.type is input_file and isinstance(getattr(args, a.dest, None), str)
    }
    for action in sub._actions:
        value = getattr(args, action.dest, None)
        if action.type is not output_file or not value or not Path(value).exists():
            continue
        flag = action.option_strings[-1] if action.option_strings else action.dest
        same = [
            a.option_strings[-1] if a.option_strings else a.dest
            for path, a in inputs.items()
            if os.path.samefile(path, value)
        ]
        what = f" (it is the input file given as {same[0]})" if same else ""
        raise CLIUsageError(
            flag,
            f"{value} already exists{what}; pass --force to overwrite it, or choose another name",
        )


def _subparser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name) if name else None
    return None


def read_csv(path: str, **kwargs: Any):
    """``pandas.read_csv`` whose failures are one-line user errors naming the file.

    Also refuses a file with a header but no data rows.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise CLIUsageError(path, "cannot read: no such file") from None
    except IsADirectoryError:
        raise CLIUsageError(path, "cannot read: it is a folder, not a file") from None
    except PermissionError:
        raise CLIUsageError(path, "cannot read: permission denied") from None
    except pd.errors.EmptyDataError:
        raise CLIUsageError(
            path, "the file is empty (expected a CSV table with a header row)"
        ) from None
    except UnicodeDecodeError:
        raise CLIUsageError(path, "not a UTF-8 text CSV file (save it as UTF-8 CSV)") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise CLIUsageError(path, f"not a valid CSV table: {_one_line(exc)}") from None
    if frame.shape[1] == 0:
        raise CLIUsageError(path, "no columns (expected a CSV table with a header row)")
    if frame.shape[1] == 1 and any(sep in str(frame.columns[0]) for sep in ";\t|"):
        raise CLIUsageError(
            path,
            f"one column named {str(frame.columns[0])!r}: the file looks separated by ';', tab or '|'; "
            "causalkit reads comma-separated CSV",
        )
    _check_unique_header(path, frame)
    if frame.shape[0] == 0:
        raise CLIUsageError(path, "has a header row but no data rows")
    return frame


def _check_unique_header(path: str, frame) -> None:
    """pandas renames a repeated column name ``x`` to ``x.1``: refuse it instead of picking one silently."""
    import csv
    from collections import Counter

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return
    repeated = [name for name, k in Counter(header).items() if k > 1 and name.strip()]
    if repeated and len(header) == frame.shape[1]:
        raise CLIUsageError(
            path, f"column name(s) {repeated} appear more than once in the header; rename them"
        )


def require_columns(frame, columns: Sequence[str], path: str, flag: str | None = None) -> None:
    """Raise a one-line user error when any of ``columns`` is not in ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        given = f" (given by {flag})" if flag else ""
        names = ", ".join(map(str, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
        raise CLIUsageError(path, f"no column(s) {missing}{given}; the columns are: {names}")


def _line(frame, row: int) -> int:
    return row + 2  # the header is line 1


def check_complete(frame, columns: Sequence[str], path: str) -> None:
    """Raise a one-line user error at the first empty (missing) cell of ``columns``."""
    for c in columns:
        missing = frame[c].isna().to_numpy()
        if missing.any():
            row = int(missing.argmax())
            raise CLIUsageError(
                path,
                f"column {c!r} has an empty or NaN cell on line {_line(frame, row)}; "
                "remove or fill missing values first",
            )


def numeric_columns(frame, columns: Sequence[str], path: str, hint: str = ""):
    """The ``columns`` of ``frame`` as finite float64 data; else a one-line user error naming the file and line."""
    import numpy as np
    import pandas as pd

    require_columns(frame, columns, path)
    check_complete(frame, columns, path)
    out = {}
    for c in columns:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col):
            col = col.astype(float)
        values = pd.to_numeric(col, errors="coerce")
        bad = values.isna().to_numpy()
        if bad.any():
            row = int(bad.argmax())
            raise CLIUsageError(
                path,
                f"column {c!r} has a non-numeric value {str(col.iloc[row])!r} on line "
                f"{_line(frame, row)}{hint}",
            )
        values = values.to_numpy(dtype=np.float64)
        inf = ~np.isfinite(values)
        if inf.any():
            row = int(inf.argmax())
            raise CLIUsageError(
                path,
                f"column {c!r} has an infinite or out-of-range value {str(col.iloc[row])!r} on line "
                f"{_line(frame, row)}",
            )
        out[c] = values
    return pd.DataFrame(out, index=frame.index)


@contextlib.contextmanager
def user_errors(where: str) -> Iterator[None]:
    """Turn the ValueError/TypeError an estimator raises on the user's data into a one-line user error."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        raise CLIUsageError(where, _one_line(exc)) from exc


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """``--format csv|json`` (default csv) for a subcommand whose ``--out`` file is a table."""
    parser.add_argument(
        "--format",
        choices=["csv", "json"],
        default="csv",
        help="format of the --out file (default csv)",
    )


def write_table(frame, path: str, fmt: str = "csv", *, index: bool = True) -> None:
    """Write ``frame`` to ``path`` as csv or json (records); an OS failure is a one-line user error."""
    if fmt == "csv":
        write_csv(frame, path, index=index)
        return
    records = frame.reset_index() if index else frame
    try:
        Path(path).write_text(records.to_json(orient="records", double_precision=15) + "\n")
    except OSError as exc:
        raise CLIUsageError(path, f"cannot write: {exc.strerror or _one_line(exc)}") from None


def write_csv(frame, path: str, **kwargs: Any) -> None:
    """``frame.to_csv(path)``; an OS failure is a one-line user error naming the file."""
    try:
        frame.to_csv(path, **kwargs)
    except OSError as exc:
        raise CLIUsageError(path, f"cannot write: {exc.strerror or _one_line(exc)}") from None


def _missing_dependency(exc: BaseException) -> str | None:
    """The message for an ImportError that means an optional dependency is not installed, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and seen.name:
            top = seen.name.split(".")[0]
            if top == "causalkit":
                return None
            if "pip install" in str(exc):
                return _one_line(exc)
            from ._base.optional import _EXTRA_OF

            extra = _EXTRA_OF.get(top, "all")
            return f'{_one_line(exc)}; install it with: pip install "causalkit[{extra}]"'
        seen = seen.__cause__ or seen.__context__
    if "pip install" in str(exc):
        return _one_line(exc)
    return None


@contextlib.contextmanager
def _one_line_warnings(prog: str) -> Iterator[None]:
    """Show each warning once, as one line on stderr: ``<prog>: warning: <Category>: <message>``."""
    from .exceptions import CausalkitWarning

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prog}: warning: {category.__name__}: {_one_line(message)}", file=sys.stderr)

    with warnings.catch_warnings():
        if not sys.warnoptions:  # the user's -W / PYTHONWARNINGS choices win
            warnings.simplefilter("once", CausalkitWarning)
        warnings.showwarning = show
        yield


# ------------------------------------------------------------------------------------------------ families

# CLI modules (relative to causalkit), in the order their demos appear in `causalkit demo`.
CLI_MODULES = [
    "debias._cli",
    "iv._cli",
    "compositional._cli",
    "deconfound._cli",
    "rep4ex._cli",
    "network._cli",
    "solvers._cli",
    "iv._dask_cli",  # IVL on dask arrays (the scale-out demo and `dask-ivl`)
]


def _load_family_modules(strict: Sequence[str] = (), errors: dict[str, str] | None = None):
    """Import the family CLI modules; one whose optional dependency is missing is left out (reason in ``errors``).

    Any other import failure is a bug in causalkit and propagates (a traceback), instead of the family silently
    vanishing from ``causalkit --help``.
    """
    modules = {}
    for name in CLI_MODULES:
        try:
            modules[name] = importlib.import_module(f"causalkit.{name}")
        except ImportError as exc:
            if _missing_dependency(exc) is None:
                raise
            if name in strict:
                raise SystemExit(f"causalkit: '{name}' is not available: {exc}") from exc
            if errors is not None:
                errors[name] = _one_line(exc)
    return modules


def _demo_registry(modules):
    return {getattr(m, "DEMO_NAME", fam): m for fam, m in modules.items() if hasattr(m, "run_demo")}


def _cmd_demo(args) -> int:
    from ._base.progress import progress_bar

    load_errors: dict[str, str] = {}
    registry = _demo_registry(_load_family_modules(errors=load_errors))
    wanted = args.methods or list(registry)
    unknown = [w for w in wanted if w not in registry]
    if unknown:
        raise CLIUsageError(
            ", ".join(unknown), f"unknown or unavailable demo; available: {', '.join(registry)}"
        )
    if not args.methods:
        for module, reason in load_errors.items():
            print(f"causalkit demo: skipped {module}: {reason}", file=sys.stderr)
    rows = []
    for name in progress_bar(wanted, desc="demo", disable=not sys.stderr.isatty()):
        start = time.perf_counter()
        try:
            out = registry[name].run_demo(random_state=args.seed)
        except ImportError as exc:  # an optional dependency of this demo is not installed
            missing = _missing_dependency(exc)
            if missing is None:
                raise
            print(f"causalkit demo: skipped {name}: {missing}", file=sys.stderr)
            continue
        rows.append(
            {
                "method": out.get("method", name),
                "quantity": out.get("quantity", "effect"),
                "estimate": out["estimate"],
                "truth": out["truth"],
                "naive": out.get("naive", float("nan")),
                "seconds": time.perf_counter() - start,
            }
        )
    if not rows:
        return 2  # every requested demo was skipped (each said why)
    import pandas as pd

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="causalkit", description="Causal and statistical inference toolkit."
    )
    parser.add_argument("--version", action="version", version=f"causalkit {__version__}")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="run each method on its simulation with known truth")
    demo.add_argument("methods", nargs="*", help="methods to run (default: all available)")
    demo.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_cmd_demo)
    for module in _load_family_modules().values():
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``causalkit`` command; return its exit status (2 for a user error, with one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [
        "--version"
    ]:  # answered before the family CLIs (and numpy, torch, ...) are imported
        print(f"causalkit {__version__}")
        return 0
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has already reported
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    prog = f"causalkit {args.command}"
    with _one_line_warnings(prog):
        try:
            _check_outputs(parser, args)
            return int(args.func(args) or 0)
        except CLIUsageError as exc:
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except ImportError as exc:
            reason = _missing_dependency(exc)
            if reason is None:
                raise
            print(f"{prog}: error: missing optional dependency: {reason}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{prog}: interrupted", file=sys.stderr)
            return 130
        except (
            BrokenPipeError
        ):  # e.g. `causalkit pcor data.csv | head`: the reader left, not an error
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
