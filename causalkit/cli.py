"""The ``causalkit`` command.

Each method family contributes through its own CLI module (``causalkit.<family>._cli``; listed in
``CLI_MODULES``), which may define

- ``DEMO_NAME`` (str) and ``run_demo(random_state: int) -> dict`` with keys ``estimate``, ``truth``, ``naive``
  (and optionally ``method``, ``quantity``): one run of the method on its built-in simulation with known truth;
- ``register(subparsers)``: adds the family's own subcommands (e.g. ``causalkit pcor``).

A family whose module or optional dependencies are missing is skipped, so the command works on a core install.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

from . import __version__

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


def _load_family_modules(strict: Sequence[str] = ()):
    modules = {}
    for name in CLI_MODULES:
        try:
            modules[name] = importlib.import_module(f"causalkit.{name}")
        except ImportError as exc:
            if name in strict:
                raise SystemExit(f"causalkit: '{name}' is not available: {exc}") from exc
    return modules


def _demo_registry(modules):
    return {getattr(m, "DEMO_NAME", fam): m for fam, m in modules.items() if hasattr(m, "run_demo")}


def _cmd_demo(args) -> int:
    from tqdm.auto import tqdm

    registry = _demo_registry(_load_family_modules())
    wanted = args.methods or list(registry)
    unknown = [w for w in wanted if w not in registry]
    if unknown:
        print(
            f"unknown or unavailable method(s): {unknown}; available: {sorted(registry)}",
            file=sys.stderr,
        )
        return 2
    rows = []
    for name in tqdm(wanted, desc="demo", disable=not sys.stderr.isatty()):
        start = time.perf_counter()
        out = registry[name].run_demo(random_state=args.seed)
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
    import pandas as pd

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causalkit", description="Causal and statistical inference toolkit."
    )
    parser.add_argument("--version", action="version", version=f"causalkit {__version__}")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="run each method on its simulation with known truth")
    demo.add_argument("methods", nargs="*", help="methods to run (default: all available)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_cmd_demo)
    for module in _load_family_modules().values():
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
