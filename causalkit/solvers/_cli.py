"""`causalkit lipschitz ...` and the LipSDP entry of `causalkit demo`."""

from __future__ import annotations

import argparse
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


def _check_arrays(path: str, arrays: list) -> list:
    """Weight matrices: numeric, 2-D, non-empty and finite; else a one-line user error naming the file."""
    import numpy as np

    from causalkit.cli import CLIUsageError

    out = []
    for k, w in enumerate(arrays):
        w = np.asarray(w)
        if w.dtype == object or not (
            np.issubdtype(w.dtype, np.number) or np.issubdtype(w.dtype, np.bool_)
        ):
            raise CLIUsageError(path, f"weight {k} holds {w.dtype} values, not numbers")
        if np.iscomplexobj(w):
            raise CLIUsageError(path, f"weight {k} is complex; expected real weight matrices")
        if w.ndim != 2 or w.size == 0:
            raise CLIUsageError(
                path, f"weight {k} has shape {w.shape}; expected a non-empty 2-D matrix per layer"
            )
        w = w.astype(np.float64)
        if not np.isfinite(w).all():
            raise CLIUsageError(path, f"weight {k} has NaN or infinite entries")
        out.append(w)
    return out


def _load_weights(path: str) -> Any:
    from causalkit.cli import CLIUsageError

    p = Path(path)
    if not p.is_file():
        raise CLIUsageError(path, "cannot read: no such file")
    suffix = p.suffix.lower()
    if suffix == ".npz":
        import zipfile

        import numpy as np

        try:
            data = np.load(p, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):  # a single .npy array under an .npz name
                raise CLIUsageError(
                    path, "holds a single .npy array, not an .npz archive of weight matrices"
                )
            with data:
                keys = sorted(data.files, key=lambda k: (len(k), k))
                arrays = [data[k] for k in keys]
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            # garbage, an .npy in disguise, or object arrays (refused: they would need unpickling)
            raise CLIUsageError(
                path, f"not a readable .npz file of numeric arrays ({' '.join(str(exc).split())})"
            ) from None
        if not arrays:
            raise CLIUsageError(path, "holds no arrays")
        return _check_arrays(path, arrays)
    if suffix == ".mat":
        import numpy as np
        from scipy.io import loadmat
        from scipy.io.matlab import MatReadError

        try:
            mat = loadmat(p)
        except (MatReadError, OSError, ValueError, TypeError, EOFError) as exc:
            raise CLIUsageError(
                path, f"not a readable .mat file ({' '.join(str(exc).split())})"
            ) from None
        if "weights" not in mat:
            raise CLIUsageError(path, "has no 'weights' variable")
        try:
            arrays = [np.asarray(w, float) for w in np.asarray(mat["weights"]).ravel()]
        except (TypeError, ValueError):
            raise CLIUsageError(path, "'weights' is not a cell array of numeric matrices") from None
        if not arrays:
            raise CLIUsageError(path, "'weights' is empty")
        return _check_arrays(path, arrays)
    if suffix in (".pt", ".pth"):
        from causalkit._base import optional_import

        torch = optional_import("torch")
        # weights_only=True: never unpickle arbitrary objects from a user's file (that can run code).
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception:  # any refusal or corrupt file is a user error here
            raise CLIUsageError(
                path,
                "not a tensor/state_dict file that loads safely; save model.state_dict() with "
                "torch.save, or the weight matrices as .npz",
            ) from None
        if isinstance(state, dict):
            # Layer weights in the state_dict's order; biases do not change a Lipschitz constant.
            weights = [
                v.detach().double().numpy()
                for k, v in state.items()
                if str(k).endswith("weight") and hasattr(v, "ndim") and v.ndim == 2
            ]
            if not weights:
                raise CLIUsageError(path, "holds no 2-D '*weight' tensors")
            return _check_arrays(path, weights)
        if isinstance(state, (list, tuple)) and state and all(hasattr(w, "ndim") for w in state):
            return _check_arrays(path, [w.detach().double().numpy() for w in state])
        raise CLIUsageError(
            path,
            f"holds a {type(state).__name__}; expected a state_dict or a list of weight tensors",
        )
    raise CLIUsageError(path, f"unsupported file type {suffix!r} (use .npz, .mat or .pt)")


def _output_index(text: str):
    parts = text.split(",")
    try:
        idx = [int(x) for x in parts]
    except ValueError:
        idx = []
    if len(idx) not in (1, 2) or min(idx, default=-1) < 0 or len(set(idx)) != len(idx):
        raise argparse.ArgumentTypeError(
            f"expected an output index i >= 0, or 'i,j' (i != j) for f_i - f_j; got {text!r}"
        )
    return idx[0] if len(idx) == 1 else tuple(idx)


def _cmd_lipschitz(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from causalkit.cli import CLIUsageError, emit_table, user_errors

    from ._lipschitz import lipschitz_bound

    model = _load_weights(args.model)
    output_index = args.output_index
    if output_index is not None:
        n_out = model[-1].shape[0]
        if max(np.atleast_1d(output_index)) >= n_out:
            raise CLIUsageError(
                "--output-index",
                f"{args.output_index} is out of range: the network has {n_out} output(s)",
            )
    norm = "inf" if args.norm in ("inf", "Inf", "linf") else int(args.norm)
    with user_errors(args.model):
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
    # the certificate as a one-row table (the CLI dialect: --out/--format), indexed by the model file
    frame = pd.DataFrame([out], index=pd.Index([args.model], name="model"))
    emit_table(frame, args, summary="\n".join(f"{k:12s} {v}" for k, v in out.items()))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lipschitz",
        help="certified Lipschitz bound of a network (LipSDP)",
        description="Certified global Lipschitz upper bound of a neural network (weights.npz with arrays in "
        "layer order, a LipSDP .mat file with a 'weights' cell, or a .pt state_dict of a feed-forward network, "
        "loaded with weights_only=True); print the certificate, or write it as a one-row table with "
        "--out/--format.",
    )
    from causalkit.cli import add_renamed_flag, add_table_output, input_file, positive_int

    p.add_argument("model", type=input_file, help="weights.npz | weights.mat | model.pt")
    p.add_argument(
        "--activation", default="relu", help="relu, tanh, sigmoid, elu, leaky_relu, maxmin, ..."
    )
    p.add_argument(
        "--method",
        default="neuron",
        choices=["neuron", "layer", "chordal", "split", "eclipse_fast", "naive"],
    )
    p.add_argument("--norm", default="2", choices=["2", "inf"])
    p.add_argument(
        "--output-index",
        type=_output_index,
        default=None,
        help="an output i, or 'i,j' for f_i - f_j",
    )
    p.add_argument("--solver", default="auto")
    p.add_argument("--split-size", type=positive_int, default=2)
    add_table_output(p, what="the certificate (one row: bound, method, solver, status, ...)")
    add_renamed_flag(p, "--json", "--format json")
    p.set_defaults(func=_cmd_lipschitz)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(0)
