"""Benchmark: LipSDP-neuron ℓ2 bounds, causalkit configurations vs a straightforward cvxpy formulation.

Same random ReLU networks (Gaussian weights scaled by 1/√fan_in, seed 0) for every configuration, one process,
single-threaded BLAS. Reports the certified bound, its tightness vs the naive product of norms, wall seconds,
and the time ratio of the best causalkit configuration to the straightforward formulation (dense nested
``cp.bmat`` products, no reductions, cvxpy's default solver).

Usage: ``python benchmarks/lipsdp.py [--quick]`` (writes benchmarks/results/lipsdp.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np

from causalkit.datasets import make_random_network
from causalkit.solvers import installed_solvers, lipschitz_bound


def straightforward_cvxpy(weights):
    """LipSDP-neuron as one would first write it in cvxpy: nested dense products, default solver."""
    import cvxpy as cp

    Ws = weights
    n0 = Ws[0].shape[1]
    widths = [W.shape[0] for W in Ws[:-1]]
    N = sum(widths)
    lam = cp.Variable(N, nonneg=True)
    rho = cp.Variable(nonneg=True)
    T = cp.diag(lam)
    A = np.zeros((N, n0 + N))
    r = c = 0
    for W in Ws[:-1]:
        A[r : r + W.shape[0], c : c + W.shape[1]] = W
        r += W.shape[0]
        c += W.shape[1]
    B = np.hstack([np.zeros((N, n0)), np.eye(N)])
    Q = cp.bmat([[np.zeros((N, N)), T], [T, -2 * T]])
    AB = np.vstack([A, B])
    last = Ws[-1].T @ Ws[-1]
    E = np.zeros((n0 + N, n0 + N))
    E[-last.shape[0] :, -last.shape[0] :] = last
    In = np.zeros((n0 + N, n0 + N))
    In[:n0, :n0] = np.eye(n0)
    M = AB.T @ Q @ AB + E - rho * In
    prob = cp.Problem(cp.Minimize(rho), [(M + M.T) / 2 << 0])
    t0 = time.perf_counter()
    prob.solve()
    return float(np.sqrt(rho.value)), time.perf_counter() - t0, prob.solver_stats.solver_name


def run_config(weights, method, solver):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = lipschitz_bound(weights, method=method, solver=solver)
    return res, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller networks only")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "lipsdp.md"))
    args = ap.parse_args()
    inst = installed_solvers()
    nets = {
        "10-32³-10": [10, 32, 32, 32, 10],
        "10-64³-10": [10, 64, 64, 64, 10],
        "10-100³-10": [10, 100, 100, 100, 10],
        "784-100-10": [784, 100, 10],
        "784-256-10": [784, 256, 10],
    }
    # (method, solver) per network; large ones skip configurations known to exceed minutes
    plan = {
        "10-32³-10": [("neuron", s) for s in inst]
        + [("neuron", "first_order"), ("chordal", "SCS"), ("layer", "auto")],
        "10-64³-10": [("neuron", s) for s in inst if s != "CLARABEL"]
        + [("neuron", "first_order"), ("chordal", "SCS"), ("layer", "auto")],
        "10-100³-10": [
            ("neuron", "SDPA"),
            ("neuron", "first_order"),
            ("chordal", "SCS"),
            ("layer", "auto"),
        ],
        "784-100-10": [("neuron", s) for s in inst if s != "CLARABEL"]
        + [("neuron", "first_order"), ("layer", "auto")],
        # SDPA and SCS take > 300 s here; CVXOPT (~400 s) is the interior-point reference for the bound
        "784-256-10": [
            ("neuron", "auto"),
            ("neuron", "CVXOPT"),
            ("layer", "auto"),
            ("eclipse_fast", "auto"),
        ],
    }
    baseline_on = {"10-32³-10", "10-64³-10", "10-100³-10"}
    if args.quick:
        nets = {k: nets[k] for k in ("10-32³-10", "784-100-10")}
    rows = []
    summary = []
    for name, dims in nets.items():
        Ws = make_random_network(dims, random_state=0)
        best = None
        ipm = None
        for method, solver in plan[name]:
            if solver not in ("auto", "first_order", *inst):
                continue
            res, sec = run_config(Ws, method, solver)
            conf = f"{method} / {res.solver or solver}"
            rows.append((name, conf, res.bound, res.naive_bound, sec, res.certified))
            print(
                f"{name:12s} {conf:22s} L={res.bound:.6f} naive={res.naive_bound:.3f} "
                f"{sec:7.2f}s certified={res.certified}",
                flush=True,
            )
            if (
                method in ("neuron", "chordal")
                and res.certified
                and (best is None or sec < best[1])
            ):
                best = (conf, sec, res.bound)  # fastest certified neuron-level configuration
            if method == "neuron" and res.solver in ("SDPA", "CVXOPT", "MOSEK"):
                if ipm is None or sec < ipm[1]:
                    ipm = (res.solver, sec, res.bound)
        base = None
        if name in baseline_on:
            L, sec, sname = straightforward_cvxpy(Ws)
            base = (sname, sec, L)
            rows.append(
                (
                    name,
                    f"straightforward cvxpy / {sname} (uncertified)",
                    L,
                    float("nan"),
                    sec,
                    False,
                )
            )
            print(f"{name:12s} baseline {sname} L={L:.6f} {sec:.2f}s", flush=True)
        summary.append((name, best, ipm, base))
    lines = [
        "# LipSDP benchmark (ℓ2, neuron multipliers, ReLU, weights N(0, 1/fan_in), seed 0)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU(s) shared with other jobs; single-threaded BLAS; "
        f"Python {platform.python_version()}. Solvers installed: {', '.join(inst)}.",
        "",
        "| network | configuration | bound | naive | bound/naive | seconds | certified |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, conf, b, nb, sec, cert in rows:
        ratio = b / nb if np.isfinite(nb) else float("nan")
        lines.append(f"| {name} | {conf} | {b:.6f} | {nb:.3f} | {ratio:.3f} | {sec:.2f} | {cert} |")
    lines += [
        "",
        "## Fastest certified neuron-level configuration vs references (same network, same process)",
        "",
        "Time ratio = fastest causalkit / reference (below 1 is faster). The straightforward formulation is "
        "LipSDP written with nested dense `cp.bmat` products, no reductions, `prob.solve()` with cvxpy's default "
        "solver, and no certification.",
        "",
        "| network | fastest causalkit (s, bound) | interior point (s, bound) | ratio vs IPM "
        "| straightforward (s, bound) | ratio vs straightforward |",
        "|---|---|---|---|---|---|",
    ]
    for name, best, ipm, base in summary:
        b = f"{best[0]} ({best[1]:.2f} s, {best[2]:.6f})" if best else "—"
        i = f"{ipm[0]} ({ipm[1]:.2f} s, {ipm[2]:.6f})" if ipm else "—"
        ri = f"{best[1] / ipm[1]:.3f}" if best and ipm else "—"
        s_ = f"{base[0]} ({base[1]:.2f} s, {base[2]:.6f})" if base else "not run"
        rb = f"{best[1] / base[1]:.3f}" if best and base else "—"
        lines.append(f"| {name} | {b} | {i} | {ri} | {s_} | {rb} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
