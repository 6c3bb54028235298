"""``causalkit demo graph-rlearner`` and ``causalkit graph-effect``."""

from __future__ import annotations

import sys

DEMO_NAME = "graph-rlearner"


def run_demo(random_state: int = 0) -> dict:
    """Graph R-learner on the neighbour-mean DGP (BA graph, 1000 nodes): ATE vs truth vs difference in means."""
    import numpy as np

    from ..datasets import make_network_effect
    from . import GraphRLearner

    d = make_network_effect(1000, "ba", random_state=random_state)
    est = GraphRLearner(n_threads=1, random_state=random_state).fit(
        d.Y, d.T, X=d.X, edge_index=d.edge_index
    )
    naive = float(d.Y[d.T == 1].mean() - d.Y[d.T == 0].mean())
    return {
        "method": "GraphRLearner (SAGE, AIPW)",
        "quantity": "ATE on a BA graph",
        "estimate": est.ate(),
        "truth": float(np.mean(d.tau)),
        "naive": naive,
    }


def _default_features(nodes, skip) -> list[str]:
    """Columns other than treatment/outcome/id that hold numbers (a column with no number is a label)."""
    import pandas as pd

    return [
        c
        for c in nodes.columns
        if c not in skip
        and (
            pd.api.types.is_numeric_dtype(nodes[c])
            or pd.to_numeric(nodes[c], errors="coerce").notna().any()
        )
    ]


def _edge_index(args, nodes, edges):
    """The (2, E) positions of the edges, duplicates dropped (with a note), symmetrised unless --directed."""
    import numpy as np
    import pandas as pd

    from causalkit.cli import CLIUsageError, check_complete, numeric_columns, require_columns

    if edges.shape[1] < 2 and not (args.source and args.target):
        raise CLIUsageError(args.edges, "needs two columns (source, target) per edge")
    src_col, dst_col = args.source or edges.columns[0], args.target or edges.columns[1]
    require_columns(edges, [src_col, dst_col], args.edges)
    check_complete(edges, [src_col, dst_col], args.edges)
    n = len(nodes)
    ends = []
    if args.id:
        pos = pd.Series(np.arange(n), index=nodes[args.id].to_numpy())
        for col in (src_col, dst_col):
            known = edges[col].isin(pos.index).to_numpy()
            if not known.all():
                row = int((~known).argmax())
                raise CLIUsageError(
                    args.edges,
                    f"edge endpoint {str(edges[col].iloc[row])!r} (column {col!r}, line {row + 2}) is not "
                    f"a node id in column {args.id!r} of {args.nodes}",
                )
            ends.append(pos.loc[edges[col].to_numpy()].to_numpy())
    else:
        values = numeric_columns(edges, [src_col, dst_col], args.edges)
        for col in (src_col, dst_col):
            v = values[col].to_numpy()
            bad = (v != np.round(v)) | (v < 0) | (v >= n)
            if bad.any():
                row = int(bad.argmax())
                raise CLIUsageError(
                    args.edges,
                    f"edge endpoint {str(edges[col].iloc[row])!r} (column {col!r}, line {row + 2}) is not a "
                    f"node row number 0..{n - 1} of {args.nodes} (or name the node id column with --id)",
                )
            ends.append(v.astype(np.int64))
    ei = np.vstack(ends).astype(np.int64)
    # An undirected edge listed as (u, v) and (v, u), or any edge listed twice, is one edge.
    key = ei if args.directed else np.sort(ei, axis=0)
    _, first = np.unique(key, axis=1, return_index=True)
    dropped = ei.shape[1] - first.size
    ei = ei[:, np.sort(first)]
    if dropped:
        why = (
            "listed more than once"
            if args.directed
            else "(u, v) and (v, u) are one undirected edge"
        )
        print(
            f"causalkit graph-effect: note: dropped {dropped} duplicate edge(s) of {args.edges} ({why})",
            file=sys.stderr,
        )
    if not args.directed:
        loops = ei[0] == ei[1]
        ei = np.hstack([ei, ei[::-1][:, ~loops]])
    return ei


def _cmd_graph_effect(args) -> int:
    import pandas as pd

    from causalkit.cli import (
        CLIUsageError,
        check_complete,
        numeric_columns,
        read_csv,
        require_columns,
        user_errors,
        write_table,
    )

    from . import GraphRLearner

    nodes = read_csv(args.nodes)
    edges = read_csv(args.edges)
    named = [args.treatment, args.outcome, *(args.features or []), *([args.id] if args.id else [])]
    require_columns(nodes, named, args.nodes)
    features = args.features or _default_features(nodes, {args.treatment, args.outcome, args.id})
    if args.treatment == args.outcome:
        raise CLIUsageError("--outcome", f"is the same column as --treatment ({args.treatment!r})")
    clash = [c for c in features if c in (args.treatment, args.outcome, args.id)]
    if clash:
        raise CLIUsageError(
            "--features", f"includes the treatment, outcome or id column {clash}; leave them out"
        )
    if not features:
        raise CLIUsageError(args.nodes, "no numeric feature columns; name them with --features")
    data = numeric_columns(
        nodes, list(dict.fromkeys([args.treatment, args.outcome, *features])), args.nodes
    )
    if args.id:
        check_complete(nodes, [args.id], args.nodes)
        dup = nodes[args.id].duplicated().to_numpy()
        if dup.any():
            row = int(dup.argmax())
            raise CLIUsageError(
                args.nodes,
                f"node id {str(nodes[args.id].iloc[row])!r} (column {args.id!r}, line {row + 2}) is not unique",
            )
    ei = _edge_index(args, nodes, edges)
    est = GraphRLearner(
        model_final=args.final, n_threads=args.threads, random_state=args.seed, verbose=args.verbose
    )
    with user_errors(args.nodes):
        est.fit(data[args.outcome], data[args.treatment], X=data[features], edge_index=ei)
    out = pd.DataFrame(
        {"effect": est.effect(), "m_hat": est.m_hat_, "e_hat": est.e_hat_},
        index=nodes[args.id] if args.id else pd.RangeIndex(len(nodes), name="node"),
    )
    write_table(out, args.out, args.format)
    print(est.summary())
    print(f"wrote {len(out)} node effects to {args.out}")
    return 0


def register(subparsers) -> None:
    from causalkit.cli import (
        add_format_argument,
        add_output_argument,
        column_list,
        input_file,
        positive_int,
        seed,
    )

    p = subparsers.add_parser(
        "graph-effect",
        help="node-level treatment effects on a graph (Graph R-learner)",
        description="Fit a Graph R-learner on node and edge CSV files and write one effect per node.",
    )
    p.add_argument(
        "nodes",
        type=input_file,
        help="CSV with one row per node: features, treatment and outcome columns",
    )
    p.add_argument(
        "edges",
        type=input_file,
        help="CSV of edges (first two columns: source, target); an edge listed twice, or as (u, v) "
        "and (v, u) without --directed, counts once",
    )
    p.add_argument("--treatment", required=True, help="binary 0/1 treatment column")
    p.add_argument("--outcome", required=True, help="outcome column")
    p.add_argument(
        "--features",
        type=column_list,
        default=None,
        help="comma-separated feature columns (default: all other numeric columns)",
    )
    p.add_argument(
        "--id", help="node id column referenced by the edges (default: row numbers 0..n-1)"
    )
    p.add_argument("--source", help="edge source column (default: first)")
    p.add_argument("--target", help="edge target column (default: second)")
    p.add_argument(
        "--directed", action="store_true", help="keep edges one-way (default: symmetrise)"
    )
    p.add_argument(
        "--final", default="sage", choices=["sage", "gcn", "gat", "linear"], help="final stage"
    )
    add_output_argument(
        p,
        "--out",
        default="effects.csv",
        help="output file (default effects.csv; see --force, --format)",
    )
    add_format_argument(p)
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads (default 1)")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=_cmd_graph_effect)
