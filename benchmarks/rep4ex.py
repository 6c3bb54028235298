"""Rep4Ex benchmark: extrapolation of E[Y | do(A = a)] against peers on the 1-D and 2-D simulations.

Methods (same data, same process): Rep4Ex; the same autoencoder without the MMR penalty (+ control function);
an MLP regression of Y on A (sklearn); engression (Shen & Meinshausen 2024; distributional regression built for
extrapolation, PyPI ``engression``) of Y on A; the oracle control function on the true Z. Reported: MSE of
E[Y | do(a)] outside (|a| >= 1.25) and inside (|a| <= 1) the training support |a| <= 1, R² of the true Z on the
learned code, fit time and its ratio to Rep4Ex. A scaling run fits Rep4Ex at n = 10^5 (the MMR penalty is per
mini-batch, so an epoch costs O(n)).

Run: ``python benchmarks/rep4ex.py [--seeds 5] [--n 4000] [--big-n 100000]``; writes
``benchmarks/results/rep4ex.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPRegressor

from causalkit.datasets import make_rep4ex_1d, make_rep4ex_2d, rep4ex_grid
from causalkit.rep4ex import ControlFunctionExtrapolator, Rep4Ex

torch.set_num_threads(1)
RESULTS = Path(__file__).resolve().parent / "results" / "rep4ex.md"
ALT = "Rep4Ex (n_init=3)"
METHODS = ["Rep4Ex", ALT, "no-MMR AE", "MLP on A", "engression", "oracle (true Z)"]


def _r2(Z, code):
    return LinearRegression().fit(code, Z).score(code, Z)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_one(dim: int, seed: int, n: int) -> dict:
    make = make_rep4ex_1d if dim == 1 else make_rep4ex_2d
    d = make(n, random_state=seed)
    g = rep4ex_grid(dim)
    a_eval = g.a if dim == 2 else g.a[:, None]
    truth = d.truth(g.a)
    knots = 12 if dim == 1 else 8
    res: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rep, t = _timed(lambda: Rep4Ex(n_knots=knots, random_state=seed).fit(d.Y, d.A, X=d.X))
        res["Rep4Ex"] = (rep.predict_intervention(a_eval), t, _r2(d.Z, rep.transform(d.X)))
        if dim == 2:
            big, t = _timed(
                lambda: Rep4Ex(n_init=3, n_knots=knots, random_state=seed).fit(d.Y, d.A, X=d.X)
            )
            res[ALT] = (big.predict_intervention(a_eval), t, _r2(d.Z, big.transform(d.X)))
        van, t = _timed(
            lambda: Rep4Ex(mmr_weight=0.0, n_knots=knots, random_state=seed).fit(d.Y, d.A, X=d.X)
        )
        res["no-MMR AE"] = (van.predict_intervention(a_eval), t, _r2(d.Z, van.transform(d.X)))
        orc, t = _timed(lambda: ControlFunctionExtrapolator(n_knots=knots).fit(d.Y, d.A, Z=d.Z))
        res["oracle (true Z)"] = (orc.predict_intervention(a_eval), t, 1.0)
    mlp, t = _timed(
        lambda: MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=500, random_state=seed).fit(
            d.A, d.Y
        )
    )
    res["MLP on A"] = (mlp.predict(a_eval), t, np.nan)
    from engression import engression

    torch.manual_seed(seed)
    eng, t = _timed(
        lambda: engression(
            torch.tensor(d.A, dtype=torch.float32),
            torch.tensor(d.Y[:, None], dtype=torch.float32),
            num_epochs=1000,
            lr=1e-3,
            verbose=False,
        )
    )
    torch.manual_seed(seed)
    p_eng = eng.predict(torch.tensor(a_eval, dtype=torch.float32), target="mean").numpy().ravel()
    res["engression"] = (p_eng, t, np.nan)
    out = {}
    for name, (p, t, r2) in res.items():
        out[name] = {
            "out": float(np.mean((p - truth)[g.outside] ** 2)),
            "in": float(np.mean((p - truth)[g.inside] ** 2)),
            "time": t,
            "r2": r2,
        }
    return out


def scaling(n_big: int, n_small: int, epochs: int) -> dict:
    """Per-epoch cost of Rep4Ex at n_small vs n_big (1-D DGP), and a full default fit at n_big."""
    g = rep4ex_grid(1)
    rows = {}
    for n in (n_small, n_big):
        d = make_rep4ex_1d(n, random_state=0)
        _, t = _timed(lambda d=d: Rep4Ex(max_epochs=epochs, random_state=0).fit(d.Y, d.A, X=d.X))
        rows[n] = t / epochs
    d = make_rep4ex_1d(n_big, random_state=0)
    truth = d.truth(g.a)
    fits = {}
    for label, epochs_kw in (("auto", "auto"), ("100", 100)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est, t_full = _timed(
                lambda e=epochs_kw: Rep4Ex(max_epochs=e, random_state=0).fit(d.Y, d.A, X=d.X)
            )
            p = est.predict_intervention(g.a)
        fits[label] = {
            "time": t_full,
            "out": float(np.mean((p - truth)[g.outside] ** 2)),
            "r2": _r2(d.Z, est.transform(d.X)),
            "epochs": est.n_epochs_,
        }
    return {"per_epoch": rows, "fits": fits}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--big-n", type=int, default=100_000)
    ap.add_argument("--skip-big", action="store_true")
    args = ap.parse_args(argv)

    lines = [
        "# Rep4Ex benchmark",
        "",
        f"`python benchmarks/rep4ex.py --seeds {args.seeds} --n {args.n} --big-n {args.big_n}`; "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, one torch thread, "
        "CPU. The machine was shared with other jobs, so absolute seconds are noisy; compare ratios.",
        "",
        "Training support |a| <= 1; MSE of E[Y | do(a)] on the grid of the spec (1-D: 29 points on [-1.75, 1.75], "
        "outside = |a| >= 1.25; 2-D: 9 x 9 grid, outside = some |a_j| >= 1.25). Mean (median, max) over seeds. "
        "Time ratio = method fit time / Rep4Ex fit time.",
        "",
    ]
    summary = {}
    for dim in (1, 2):
        t0 = time.perf_counter()
        runs = [run_one(dim, s, args.n) for s in range(args.seeds)]
        print(f"{dim}-D done in {time.perf_counter() - t0:.0f} s", flush=True)
        lines += [
            f"## {dim}-D DGP (n = {args.n}, {args.seeds} seeds)",
            "",
            "| method | MSE outside: mean (median, max) | MSE inside: mean | R²(Z ~ code): mean (min) "
            "| fit s: mean | time ratio vs Rep4Ex | beaten by Rep4Ex outside (seeds) |",
            "|---|---|---|---|---|---|---|",
        ]
        t_rep = np.mean([r["Rep4Ex"]["time"] for r in runs])
        out_rep = np.array([r["Rep4Ex"]["out"] for r in runs])
        for m in METHODS:
            if m not in runs[0]:
                continue
            out = np.array([r[m]["out"] for r in runs])
            ins = np.array([r[m]["in"] for r in runs])
            r2 = np.array([r[m]["r2"] for r in runs])
            t = np.mean([r[m]["time"] for r in runs])
            r2s = "—" if np.isnan(r2).all() else f"{r2.mean():.4f} ({r2.min():.4f})"
            beaten = "—" if m == "Rep4Ex" else f"{int(np.sum(out_rep < out))}/{len(runs)}"
            lines.append(
                f"| {m} | {out.mean():.3f} ({np.median(out):.3f}, {out.max():.3f}) | {ins.mean():.4f} | {r2s} "
                f"| {t:.2f} | {t / t_rep:.2f} | {beaten} |"
            )
            summary[(dim, m)] = out.mean()
            print(lines[-1], flush=True)
        per_seed = ", ".join(f"{v:.3f}" for v in out_rep)
        lines += ["", f"Rep4Ex outside MSE per seed: {per_seed}.", ""]
        if dim == 2:
            best_peer = min(
                v
                for (dd, m), v in summary.items()
                if dd == 2 and m not in ("Rep4Ex", ALT, "oracle (true Z)")
            )
            verdict = "meets" if summary[(2, "Rep4Ex")] < best_peer else "misses"
            lines += [
                f"The 2-D case {verdict} the target (Rep4Ex mean outside MSE {summary[(2, 'Rep4Ex')]:.3f}, best "
                f"non-oracle peer {best_peer:.3f}). On some seeds the code is less affine (R² ~ 0.9): training "
                "ends in a non-affine local optimum with about twice the reconstruction error; `n_init=3` restarts "
                "(keeping the lowest objective) remove some of these at 3x the cost.",
                "",
            ]
    if not args.skip_big:
        sc = scaling(args.big_n, args.n, epochs=3)
        ps = sc["per_epoch"]
        ratio = ps[args.big_n] / ps[args.n]
        lines += [
            "## Scaling (1-D DGP, seed 0)",
            "",
            "| n | seconds per epoch |",
            "|---|---|",
            f"| {args.n} | {ps[args.n]:.3f} |",
            f"| {args.big_n} | {ps[args.big_n]:.3f} |",
            "",
            f"Per-epoch time ratio {ratio:.1f} for a {args.big_n / args.n:.0f}x larger n (linear in n: the MMR "
            "penalty is a U-statistic within each mini-batch of 256).",
            "",
            f"| fit at n = {args.big_n} | epochs | seconds (target < 300) | outside MSE | R²(Z ~ code) |",
            "|---|---|---|---|---|",
        ]
        for label, f in sc["fits"].items():
            name = (
                "default (max_epochs='auto', ~1600 steps)" if label == "auto" else "max_epochs=100"
            )
            lines.append(
                f"| {name} | {f['epochs']} | {f['time']:.1f} | {f['out']:.3f} | {f['r2']:.4f} |"
            )
        lines += [
            "",
            f"max_epochs=100 at n = {args.big_n} takes {100 * -(-args.big_n // 256)} Adam steps instead of ~1600; "
            "the code then drifts away from affinity (as the spec warns for long training), which is why the "
            "default budget is fixed in steps.",
            "",
        ]
        print("\n".join(lines[-9:]), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [f"Peak resident memory of the benchmark process: {peak:.0f} MiB.", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
