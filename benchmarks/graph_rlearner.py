"""Benchmark: Graph R-learner vs baselines and the paper's training protocol.

(a) Accuracy, MSE(τ̂, τ), on the neighbour-mean DGP and the paper's DGP, BA/ER/SBM graphs, n = 1000, 3 seeds:
    Graph R (SAGE final, linear final), graph-blind R, Graph S/T-learners, DoubleML PLR (constant effect,
    graph-blind; the peer library) and the paper's protocol (2-layer GCNs, Adam lr 1e-3, fixed 150 epochs per
    nuisance and 200 for the final stage, no early stopping, no weight decay, no clipping, 2 folds; re-implemented
    from the description with causalkit's modules, not the paper's code).
(b) Fit time of the Graph R-learner vs n in {1e3, 1e4, 1e5} nodes (BA, m = 3) on CPU, with the time ratio of the
    paper's protocol at n = 1e3, and 1e6 nodes on a GPU when CUDA is available. Peak memory: process max RSS.

Run: ``PYTHONPATH=. python benchmarks/graph_rlearner.py [--quick]``; writes benchmarks/results/graph_rlearner.md.
On a GPU machine, ``--gpu-only`` runs just the CUDA rows (about a minute) and appends them as section (c).
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from causalkit.datasets import make_network_effect, make_paper_network_dgp
from causalkit.network import BlindRLearner, GraphRLearner, GraphSLearner, GraphTLearner

warnings.filterwarnings("ignore")


def paper_protocol(X, T, Y, edge_index, seed):
    """The paper's protocol: 2-layer GCN nuisances (150 epochs) and final stage (200 epochs), fixed epochs."""
    from sklearn.model_selection import KFold

    from causalkit.graphs import build_module, graph_tensors, predict_module, train_module
    from causalkit.network._common import bce_loss, mse_loss, r_loss

    torch.manual_seed(seed)
    g = graph_tensors(X, edge_index)
    n = X.shape[0]
    w = torch.ones(n)
    y, t = torch.as_tensor(Y, dtype=torch.float32), torch.as_tensor(T, dtype=torch.float32)
    m, e = np.empty(n), np.empty(n)
    cfg = dict(lr=1e-3, weight_decay=0.0, patience=10**9)
    none = np.empty(0, dtype=np.int64)
    for tr, te in KFold(2, shuffle=True, random_state=seed).split(X):
        for loss, out in ((mse_loss(y, w), m), (bce_loss(t, w), e)):
            mod = build_module("gcn", X.shape[1], hidden=32, num_layers=2)
            train_module(mod, g, loss, tr, none, max_epochs=150, **cfg)
            out[te] = predict_module(mod, g)[te, 0]
    e = 1 / (1 + np.exp(-e))
    yt = torch.as_tensor(Y - m, dtype=torch.float32)
    tt = torch.as_tensor(T - e, dtype=torch.float32)
    mod = build_module("gcn", X.shape[1], hidden=32, num_layers=2)
    train_module(mod, g, r_loss(yt, tt, w), np.arange(n), none, max_epochs=200, **cfg)
    return predict_module(mod, g)[:, 0]


def doubleml_plr(X, T, Y, seed):
    import doubleml
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    data = doubleml.DoubleMLData.from_arrays(X, Y, T)
    np.random.seed(seed)  # noqa: NPY002 - DoubleML draws its folds from numpy's global RNG
    plr = doubleml.DoubleMLPLR(
        data,
        HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05),
        HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05),
        n_folds=2,
    )
    plr.fit()
    return np.full(X.shape[0], float(plr.coef[0]))


def run_learners(d, seed):
    out = {}
    arms = {
        "Graph R (SAGE final)": GraphRLearner(random_state=seed),
        "Graph R (linear [1,x,Sx] final)": GraphRLearner(model_final="linear", random_state=seed),
        "blind R (GBM, linear final)": BlindRLearner(random_state=seed),
        "Graph S-learner (SAGE)": GraphSLearner(random_state=seed),
        "Graph T-learner (SAGE)": GraphTLearner(random_state=seed),
    }
    for name, est in arms.items():
        t0 = time.perf_counter()
        if isinstance(est, BlindRLearner):
            est.fit(d.Y, d.T, X=d.X)
        else:
            est.fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
        out[name] = (est.effect(), time.perf_counter() - t0)
    t0 = time.perf_counter()
    out["peer: DoubleML PLR (constant effect)"] = (
        doubleml_plr(d.X, d.T, d.Y, seed),
        time.perf_counter() - t0,
    )
    t0 = time.perf_counter()
    out["paper protocol (GCN, fixed epochs)"] = (
        paper_protocol(d.X, d.T, d.Y, d.edge_index, seed),
        time.perf_counter() - t0,
    )
    return out


def accuracy(seeds, n):
    rows = []
    for dgp in ("neighbour_mean", "paper"):
        for graph in ("ba", "er", "sbm"):
            for seed in seeds:
                if dgp == "paper":
                    d = make_paper_network_dgp(n, graph, random_state=seed)
                else:
                    d = make_network_effect(n, graph, random_state=seed)
                for name, (tau, sec) in run_learners(d, seed).items():
                    rows.append(
                        dict(
                            dgp=dgp,
                            graph=graph,
                            seed=seed,
                            learner=name,
                            mse=float(np.mean((tau - d.tau) ** 2)),
                            var_tau=float(d.tau.var()),
                            seconds=sec,
                        )
                    )
                print(f"  accuracy {dgp}/{graph}/seed {seed} done", flush=True)
    return pd.DataFrame(rows)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scaling(sizes, device="cpu", batch_size=None, num_layers=1):
    rows = []
    for n in sizes:
        d = make_network_effect(n, "ba", random_state=1)
        est = GraphRLearner(
            device=device, batch_size=batch_size, num_layers=num_layers, random_state=0
        )
        t0 = time.perf_counter()
        est.fit(d.Y, d.T, X=d.X, edge_index=d.edge_index)
        sec = time.perf_counter() - t0
        epochs = sum(
            h["epochs"] for v in est.history_.values() for h in (v if isinstance(v, list) else [v])
        )
        rows.append(
            dict(
                device=device,
                n=n,
                edges=d.edge_index.shape[1] // 2,
                layers=num_layers,
                batch_size=batch_size or "full",
                fit_seconds=sec,
                total_epochs=epochs,
                mse=float(np.mean((est.effect() - d.tau) ** 2)),
                peak_rss_mb=rss_mb(),
                peak_gpu_mb=torch.cuda.max_memory_allocated() / 2**20
                if device == "cuda"
                else np.nan,
            )
        )
        print(
            f"  scaling {device} n={n} batch={batch_size}: {sec:.1f}s, MSE {rows[-1]['mse']:.3f}",
            flush=True,
        )
    return pd.DataFrame(rows)


def gpu_scaling():
    return pd.concat(
        [
            scaling([1000, 100_000, 1_000_000], device="cuda"),
            scaling([1_000_000], device="cuda", batch_size=65_536),
        ]
    )


def gpu_only(args):
    """CUDA rows only, for a short GPU session; replaces the GPU section of the results file."""
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to do")
        return
    scal = pd.concat([scaling([1000]), gpu_scaling()])
    section = "\n".join(
        [
            "## (c) GPU fit time (`--gpu-only`)",
            "",
            f"GPU: {torch.cuda.get_device_name(0)}; CPU row: same machine, {args.threads} thread(s).",
            "",
            scal.round(3).to_markdown(index=False),
            "",
        ]
    )
    path = Path(args.out)
    text = path.read_text() if path.exists() else ""
    text = text.split("## (c) GPU fit time")[0].rstrip() + "\n\n" + section
    path.write_text(text)
    print(section)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1 seed, n <= 1e4")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "graph_rlearner.md"))
    ap.add_argument(
        "--gpu-only",
        action="store_true",
        help="only the CUDA scaling rows (CPU 1e3 row as the same-machine baseline); appended to --out",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.gpu_only:
        return gpu_only(args)
    seeds = [100] if args.quick else [100, 101, 102]
    acc = accuracy(seeds, 1000)
    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    scal = scaling(sizes)
    if torch.cuda.is_available():
        scal = pd.concat([scal, gpu_scaling()])

    mean = acc.pivot_table(index="learner", columns=["dgp", "graph"], values="mse", aggfunc="mean")
    worst = acc.pivot_table(index="learner", columns=["dgp", "graph"], values="mse", aggfunc="max")
    var_tau = acc.groupby(["dgp", "graph"])["var_tau"].mean()
    secs = acc.groupby("learner")["seconds"].mean()
    ours = acc[acc.learner == "Graph R (SAGE final)"].set_index(["dgp", "graph", "seed"])
    paper = acc[acc.learner == "paper protocol (GCN, fixed epochs)"].set_index(
        ["dgp", "graph", "seed"]
    )
    ratio = paper["seconds"] / ours["seconds"]
    nm = acc.dgp == "neighbour_mean"
    acc_ours = acc[nm & (acc.learner == "Graph R (SAGE final)")]["mse"].mean()
    acc_paper = acc[nm & (acc.learner == "paper protocol (GCN, fixed epochs)")]["mse"].mean()

    lines = [
        "# Graph R-learner benchmark",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}; torch {torch.__version__}, "
        f"{args.threads} torch thread(s); CUDA: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}."
        f" Seeds {seeds}, n = 1000 for (a). Generated by `benchmarks/graph_rlearner.py`"
        + (" --quick" if args.quick else "")
        + ".",
        "",
        "## (a) Accuracy: mean MSE(τ̂, τ) over seeds (max in the second table)",
        "",
        "Var τ per DGP/graph (a constant-effect predictor's floor): "
        + ", ".join(f"{k[0]}/{k[1]} {v:.3f}" for k, v in var_tau.items())
        + ".",
        "",
        mean.round(3).to_markdown(),
        "",
        "Worst seed:",
        "",
        worst.round(3).to_markdown(),
        "",
        "Mean fit seconds per learner (n = 1000, all DGPs and graphs):",
        "",
        secs.round(2).to_frame("seconds").to_markdown(),
        "",
        f"**Time ratio paper protocol / Graph R (same data, same process), n = 1000, {len(ratio)} fits: "
        f"total {paper['seconds'].sum() / ours['seconds'].sum():.1f}x, median {ratio.median():.1f}x, "
        f"min {ratio.min():.1f}x.** Accuracy on the neighbour-mean DGP: Graph R {acc_ours:.3f} vs paper "
        f"protocol {acc_paper:.3f}.",
        "",
        "## (b) Fit time vs graph size (BA, m = 3, neighbour-mean DGP, full fit: 2 folds x 2 nuisances + final)",
        "",
        scal.round(3).to_markdown(index=False),
        "",
        "peak_rss_mb is the process's peak resident memory so far (monotone over rows).",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
