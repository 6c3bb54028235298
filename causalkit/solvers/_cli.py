"""`causalkit lipschitz ...` and the LipSDP entry of `causalkit demo`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEMO_NAME = "lipsdp"


def run_demo(random_state: int = 0) -> dict:
    """LipSDP-neuron on the diagonal network (true L₂ = 2; naive product of norms = 6)."""
    from causalkit.datasets import make_diagonal_network

    from ._lipschitz import lipschitz_bound

    weights, truth = make_diagonal_network()
    res = lipschitz_bound(weights, activation="relu", method="neuron")
    return {
        "method": "LipSDP-neuron",
        "quantity": "Lipschitz constant (l2)",
        "estimate": float(res.bound),
        "truth": float(truth),
        "naive": float(res.naive_bound),
    }


def _load_weights(path: str) -> Any:
    p = Path(path)
    if not p.exists():
        raise SystemExit(f"causalkit lipschitz: file not found: {path}")
    suffix = p.suffix.lower()
    if suffix == ".npz":
        import numpy as np

        with np.load(p, allow_pickle=False) as data:
            keys = sorted(data.files, key=lambda k: (len(k), k))
            if not keys:
                raise SystemExit(f"causalkit lipschitz: {path} holds no arrays")
            return [data[k] for k in keys]
    if suffix == ".mat":
        import numpy as np
        from scipy.io import loadmat

        mat = loadmat(p)
        if "weights" not in mat:
            raise SystemExit(f"causalkit lipschitz: {path} has no 'weights' variable")
        return [np.asarray(w, float) for w in mat["weights"].ravel()]
    if suffix in (".pt", ".pth"):
        from causalkit._base import optional_import

        torch = optional_import("torch")
        # weights_only=True: never unpickle arbitrary objects from a user's file (that can run code).
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception:  # any refusal or corrupt file is a user error here
            raise SystemExit(
                f"causalkit lipschitz: {path} is not a tensor/state_dict file that loads safely; "
                "save model.state_dict() with torch.save, or the weight matrices as .npz"
            ) from None
        if isinstance(state, dict):
            # Layer weights in the state_dict's order; biases do not change a Lipschitz constant.
            weights = [
                v.detach().double().numpy()
                for k, v in state.items()
                if str(k).endswith("weight") and hasattr(v, "ndim") and v.ndim == 2
            ]
            if not weights:
                raise SystemExit(f"causalkit lipschitz: {path} holds no 2-D '*weight' tensors")
            return weights
        if isinstance(state, (list, tuple)) and state and all(hasattr(w, "ndim") for w in state):
            return [w.detach().double().numpy() for w in state]
        raise SystemExit(
            f"causalkit lipschitz: {path} holds a {type(state).__name__}; expected a state_dict or a "
            "list of weight tensors"
        )
    raise SystemExit(
        f"causalkit lipschitz: unsupported file type {suffix!r} (use .npz, .mat or .pt)"
    )


def _cmd_lipschitz(args: argparse.Namespace) -> int:
    from ._lipschitz import lipschitz_bound

    model = _load_weights(args.model)
    output_index = None
    if args.output_index is not None:
        parts = [int(x) for x in args.output_index.split(",")]
        output_index = parts[0] if len(parts) == 1 else tuple(parts)
    norm = "inf" if args.norm in ("inf", "Inf", "linf") else int(args.norm)
    res = lipschitz_bound(
        model,
        activation=args.activation,
        method=args.method,
        norm=norm,
        output_index=output_index,
        solver=args.solver,
        split_size=args.split_size,
    )
    out = {
        "bound": res.bound,
        "method": res.method,
        "solver": res.solver,
        "status": res.status,
        "certified": res.certified,
        "norm": res.norm,
        "naive_bound": res.naive_bound,
        "solve_time": round(res.solve_time, 3),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:12s} {v}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lipschitz",
        help="certified Lipschitz bound of a network (LipSDP)",
        description="Certified global Lipschitz upper bound of a neural network (weights.npz with arrays in "
        "layer order, a LipSDP .mat file with a 'weights' cell, or a .pt state_dict of a feed-forward network, loaded with weights_only=True).",
    )
    p.add_argument("model", help="weights.npz | weights.mat | model.pt")
    p.add_argument(
        "--activation", default="relu", help="relu, tanh, sigmoid, elu, leaky_relu, maxmin, ..."
    )
    p.add_argument(
        "--method",
        default="neuron",
        choices=["neuron", "layer", "chordal", "split", "eclipse_fast", "naive"],
    )
    p.add_argument("--norm", default="2", choices=["2", "inf"])
    p.add_argument("--output-index", default=None, help="an output i, or 'i,j' for f_i - f_j")
    p.add_argument("--solver", default="auto")
    p.add_argument("--split-size", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_lipschitz)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(0)
