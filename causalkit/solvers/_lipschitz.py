"""Public entry points: :func:`lipschitz_bound`, :class:`LipschitzResult`, :class:`LipschitzEstimator`."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator

from causalkit._base.validation import check_int, user_stacklevel
from causalkit.exceptions import SolverWarning

from . import _network as nw
from . import _sdp

__all__ = ["LipschitzEstimator", "LipschitzResult", "lipschitz_bound"]

METHODS = ("neuron", "layer", "chordal", "split", "eclipse_fast", "naive")
# Fallback ladder, tightest first as measured (median ratio to the neuron bound on 24 seeded random nets of
# mixed depth, width and activation: chordal 1.000, layer 1.43, eclipse_fast 1.66, split 1.73; table in
# benchmarks/results/lipsdp.md, "Fallback order (measured)").
_LADDER = ("neuron", "chordal", "layer", "eclipse_fast", "split", "naive")


@dataclass
class LipschitzResult:
    """A certified (or explicitly uncertified) Lipschitz upper bound.

    Attributes
    ----------
    bound : float
        The upper bound L with ‖f(x) − f(y)‖ ≤ L‖x − y‖ in the chosen norm.
    method : str
        Method that produced ``bound`` (differs from ``requested_method`` after a fallback).
    solver : str or None
        SDP solver used (``None`` for closed-form methods).
    status : str
        ``"optimal"``, ``"optimal_inaccurate"``, ``"fallback"`` (a coarser method gave the bound because the
        requested one failed or could not be certified), ``"uncertified"`` (``certify=False``) or
        ``"closed_form"``.
    certified : bool
        True when ``bound`` was re-derived from the multipliers by an eigenvalue/Cholesky check (or is a
        closed-form product of norms).
    norm : 2 or "inf"
    naive_bound : float
        Product of the layer norms.
    solve_time : float
        Seconds spent (assembly, solve and certification).
    multipliers : dict or list of dict
        ``rho`` (the certified ρ), ``lambda`` (per hidden neuron; tied within a layer for ``"layer"``), ``gamma``
        (per group, group activations), ``mu`` (ℓ∞); a list per output (ℓ∞) or per sub-network (split).
    requested_method : str
    raw_solver_value : float or None
        The bound the solver itself reported (before certification), for diagnostics.
    """

    bound: float
    method: str
    solver: str | None
    status: str
    certified: bool
    norm: Any
    naive_bound: float
    solve_time: float
    multipliers: Any = field(default=None, repr=False)
    requested_method: str = ""
    raw_solver_value: float | None = None

    @property
    def ratio_to_naive(self) -> float:
        """``bound / naive_bound`` (≤ 1 up to rounding for certified SDP bounds)."""
        return self.bound / self.naive_bound if self.naive_bound > 0 else float("nan")


@dataclass
class _Options:
    """The validated options of one :func:`lipschitz_bound` call: what every method and every solve reads.

    ``chain`` and ``strict`` are filled by :meth:`with_solver` only once an SDP is to be solved, so that the
    closed-form paths never resolve the solver (nor import cvxpy).
    """

    method: str  # the requested method (``LipschitzResult.requested_method``)
    norm: Any  # 2 or "inf"
    split_size: int
    certify: bool
    reduce: bool
    verbose: bool
    # cvxpy solvers in order ("AUTO" first for solver="auto")
    chain: list[str] = field(default_factory=list)
    strict: bool = False  # one named solver: its failure raises instead of falling back

    @classmethod
    def validate(
        cls, method: Any, norm: Any, split_size: Any, certify: Any, reduce: Any, verbose: Any
    ) -> _Options:
        if not isinstance(method, str) or method.lower() not in (*METHODS, "network"):
            raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}.")
        method = method.lower()
        if method == "network":
            raise ValueError(
                "method='network' (LipSDP-Network coupling) is not offered: it is unsound for incremental "
                "quadratic constraints and can return a value below the true Lipschitz constant."
            )
        norm = _check_norm(norm)
        split_size = check_int(split_size, "split_size", low=1)
        for flag, val in (("certify", certify), ("reduce", reduce), ("verbose", verbose)):
            if not isinstance(val, (bool, np.bool_)):
                raise TypeError(f"{flag} must be True or False; got {val!r}.")
        return cls(method, norm, split_size, certify, bool(reduce), verbose)

    def with_solver(self, solver: Any) -> _Options:
        """These options with the solver chain resolved (``"auto"``: the installed chain, first-order allowed)."""
        chain = _sdp.solver_chain(solver)
        is_auto = solver is None or (isinstance(solver, str) and solver.lower() == "auto")
        if is_auto:
            chain = ["AUTO", *chain]  # lets large ℓ2 neuron LMIs go to the first-order solver
        strict = not is_auto and not isinstance(solver, (list, tuple))
        return replace(self, chain=chain, strict=strict)

    def ladder(self, kind: str) -> list[str]:
        """The requested method, then the coarser ones to fall back on, tightest first."""
        m = self.method
        ladder = [m, *_LADDER[_LADDER.index(m) + 1 :]] if m in _LADDER else [m]
        if kind == "implicit":
            ladder = [x for x in ladder if x in ("neuron", "layer", "naive")]
        return ladder

    def result(
        self,
        t0: float,
        naive: float,
        bound: float,
        method: str,
        status: str,
        certified: bool,
        *,
        solver: str | None = None,
        multipliers: Any = None,
        raw: float | None = None,
    ) -> LipschitzResult:
        """The one place a :class:`LipschitzResult` is built (``solve_time`` counted from ``t0``)."""
        return LipschitzResult(
            bound=bound,
            method=method,
            solver=solver,
            status=status,
            certified=certified,
            norm=self.norm,
            naive_bound=naive,
            solve_time=time.perf_counter() - t0,
            multipliers=multipliers,
            requested_method=self.method,
            raw_solver_value=raw,
        )


class _Outcome(NamedTuple):
    """One method's bound for one output row (or the whole output)."""

    bound: float
    certified: bool
    status: str
    solver: str | None
    multipliers: Any
    raw: float | None
    # the formulation that produced ``bound`` when it is not the method run (None: that method)
    method: str | None = None
    # whether an inaccurate solve cost tightness (None: judged from ``status`` and ``raw``, see _loose)
    loose: bool | None = None


def _loose(o: _Outcome, bound: float | None = None) -> bool:
    """Whether an ``optimal_inaccurate`` solve cost tightness: the certified bound exceeds the solver's value."""
    if o.loose is not None:
        return o.loose
    b = o.bound if bound is None else bound
    return o.status == "optimal_inaccurate" and (
        o.raw is None or b > max(o.raw, 0.0) * (1 + 1e-4) + 1e-12
    )


def _warn(message: str, category: type[Warning] = SolverWarning) -> None:
    """Warn at the first caller outside causalkit.solvers (the user's call, whichever entry point it used)."""
    warnings.warn(message, category, stacklevel=user_stacklevel())


# ----------------------------------------------------------------------------------------------------------
# input handling


def _parse_model(model_or_weights: Any, activation: Any):
    """-> ("ops", ops) or ("implicit", Implicit with arrays, act)."""
    if isinstance(model_or_weights, nw.Implicit):
        m = model_or_weights
        W = nw._weight(m.W, "Implicit.W")
        U = nw._weight(m.U, "Implicit.U")
        C = nw._weight(m.C, "Implicit.C")
        if W.shape[0] != W.shape[1] or U.shape[0] != W.shape[0] or C.shape[1] != W.shape[0]:
            raise ValueError(
                "model_or_weights: Implicit needs W (h, h), U (h, n_in), C (n_out, h); got "
                f"W {W.shape}, U {U.shape}, C {C.shape}."
            )
        act = nw.parse_activation(m.activation if m.activation is not None else activation)
        if act is None:
            raise ValueError(
                "Implicit: a linear activation is not supported (solve the linear system)."
            )
        return "implicit", (nw.Implicit(W, U, C), act)
    mod = type(model_or_weights).__module__
    if mod.startswith("torch") or (
        hasattr(model_or_weights, "parameters") and hasattr(model_or_weights, "children")
    ):
        return "ops", nw.ops_from_torch(model_or_weights)
    if isinstance(model_or_weights, np.ndarray) and model_or_weights.ndim == 2:
        model_or_weights = [model_or_weights]
    if isinstance(model_or_weights, dict) and "weights" in model_or_weights:
        model_or_weights = model_or_weights["weights"]  # a loadmat dict: its 'weights' cell array
        if isinstance(model_or_weights, np.ndarray) and model_or_weights.dtype != object:
            model_or_weights = (
                [model_or_weights] if model_or_weights.ndim == 2 else list(model_or_weights)
            )
    if isinstance(model_or_weights, np.ndarray) and model_or_weights.dtype == object:
        model_or_weights = _cell_items(model_or_weights)
    if not isinstance(model_or_weights, Sequence) or isinstance(model_or_weights, (str, bytes)):
        raise TypeError(
            "model_or_weights must be a list of weight matrices (n_out, n_in) or (W, b) pairs, a torch "
            f"nn.Sequential, or an Implicit model; got {type(model_or_weights).__name__}."
        )
    return "ops", nw.ops_from_weights(model_or_weights, activation)


def _cell_items(arr: np.ndarray) -> list:
    """The matrices of an object array: a MATLAB-style cell array (elements are matrices), or numpy's
    stacking of equal-shape matrices into one object array of scalars (last two axes are the matrices)."""
    flat = arr.ravel()
    if arr.ndim >= 3 and all(np.ndim(x) == 0 for x in flat):
        return list(arr.reshape(-1, *arr.shape[-2:]))
    return list(flat)


def _check_representable(ops: list, norm: Any, rows: Any, naive_rows: list[float]) -> None:
    """ValueError when the naive bound over- or underflows double precision (a bound of 0.0 or inf would be
    reported for a network whose constant is neither)."""
    for r, nb in zip(rows or [None], naive_rows):
        if not np.isfinite(nb):
            raise ValueError(
                "model_or_weights: the product of the layer norms overflows double precision; rescale the "
                "weights (the bound is homogeneous: L(c W) = c L(W) per layer)."
            )
        if nb == 0.0:
            factors = [nw.naive_bound([op], norm) for op in ops[:-1]]
            factors.append(nw.naive_bound(ops[-1:], norm, r))
            if all(f > 0 for f in factors):
                raise ValueError(
                    "model_or_weights: the product of the layer norms underflows double precision (no layer "
                    "is zero, but their product is below 1e-308); rescale the weights."
                )


def _check_norm(norm: Any) -> Any:
    if isinstance(norm, str) and norm.lower() in ("inf", "linf", "l_inf"):
        return "inf"
    if norm == np.inf:
        return "inf"
    if (
        isinstance(norm, (int, float, np.integer, np.floating))
        and not isinstance(norm, bool)
        and norm == 2
    ):
        return 2
    raise ValueError(f"norm must be 2 or 'inf'; got {norm!r}.")


def _output_rows(C_or_m: int, output_index: Any) -> list[np.ndarray] | None:
    m = C_or_m
    if output_index is None:
        return None
    if isinstance(output_index, (int, np.integer)) and not isinstance(output_index, bool):
        if not -m <= output_index < m:
            raise ValueError(f"output_index {output_index} is out of range for {m} output(s).")
        r = np.zeros(m)
        r[int(output_index)] = 1.0
        return [r]
    if isinstance(output_index, tuple) and len(output_index) == 2:
        i, j = output_index
        rows = _output_rows(m, i)[0] - _output_rows(m, j)[0]  # type: ignore[index]
        return [rows]
    raise ValueError(
        "output_index must be None, an int (one output) or a pair (i, j) for the difference f_i − f_j; "
        f"got {output_index!r}."
    )


# ----------------------------------------------------------------------------------------------------------
# the methods


def _svd_reduce(ops: list) -> list:
    """ℓ2 only: replace the first linear map W₁ = UΣVᵀ by UΣ (exact: V is a co-isometry)."""
    first = ops[0]
    if not isinstance(first, nw._Linear):
        return ops
    W = first.W
    if W.shape[1] <= W.shape[0]:
        return ops
    U, s, _ = np.linalg.svd(W, full_matrices=False)
    return [nw._Linear(U * s), *ops[1:]]


def _output_dim_reduce(ops: list) -> list:
    """ℓ2 only: replace the last map W_l by R with RᵀR = W_lᵀW_l (exact: only W_lᵀW_l enters)."""
    last = ops[-1]
    if not isinstance(last, nw._Linear) or last.W.shape[0] <= last.W.shape[1] or len(ops) == 1:
        return ops
    R = np.linalg.qr(last.W, mode="r")
    return [*ops[:-1], nw._Linear(R)]


def _sdp_bound(
    prob: _sdp.QCProblem, method: str, row: np.ndarray | None, opts: _Options
) -> _sdp.SolveOutcome:
    norm = opts.norm
    lmi = _sdp.build_lmi(prob, "layer" if method == "layer" else "neuron", norm, row)
    blocks = prob.feedforward_blocks if method == "chordal" else None
    if method == "chordal" and (blocks is None or norm != 2):
        raise ValueError(
            "method='chordal' needs a feed-forward network with slope-restricted activations and norm=2."
        )
    chain = opts.chain
    is_auto = chain[:1] == ["AUTO"]
    chain = chain[1:] if is_auto else chain
    auto_fo = (
        is_auto
        and method == "neuron"
        and norm == 2
        and lmi.D > _sdp.FIRST_ORDER_MIN_SIZE
        and all(isinstance(lay.act, nw._Slope) for lay in prob.layers)
    )
    if chain == ["FIRST_ORDER"] or auto_fo:
        if method not in ("neuron", "layer"):
            raise ValueError("solver='first_order' supports method 'neuron' or 'layer'.")
        cvx_chain = [c for c in chain if c != "FIRST_ORDER"] or _sdp.solver_chain("auto")
        t0 = time.perf_counter()
        y0, start_rho, start = _warm_start(
            prob, lmi, norm, row, cvx_chain, opts.verbose, with_layer=is_auto
        )
        y, status = _sdp.solve_first_order(lmi, y0)
        rho = float(y[0])
        # the first-order answer counts as the requested formulation's only where it improved on its start;
        # else the number is (to FO_MIN_GAIN) the start's bound and is labelled with that formulation
        label = None if rho < start_rho * (1.0 - FO_MIN_GAIN) else start
        out = _sdp.SolveOutcome(
            rho, y, True, status, "FIRST_ORDER", time.perf_counter() - t0, rho, label
        )
    else:
        out = _sdp.solve_and_certify(lmi, chain, opts.certify, blocks, opts.strict, opts.verbose)
    out.y = _sdp.expand_multipliers(lmi, out.y, out.rho)  # type: ignore[assignment]
    return out


def _warm_start(
    prob, lmi, norm, row, cvx_chain, verbose, with_layer: bool = False
) -> tuple[np.ndarray, float, str]:
    """Certified-feasible starting multipliers for the first-order solver, their certified ρ (in ``lmi``'s
    units) and the formulation that produced them: closed-form ECLipsE-Fast for feed-forward
    slope-restricted ℓ2 networks, else the (small) layer SDP; with ``with_layer`` (``solver="auto"``) the
    layer SDP is solved as well and the tighter of the two is the start, so that the first-order answer is
    never looser than the layer bound. Where ECLipsE-Fast applies, that layer SDP is solved by the
    first-order solver itself started from it (one multiplier per layer: cheap; a D ≈ 900 layer LMI takes
    minutes in the interior-point and SCS solvers), else by ``cvx_chain``."""
    cands: list[tuple[float, dict, str]] = []
    if norm == 2 and row is None and prob.feedforward_blocks is not None:
        ops = _ops_of(prob)
        if ops is not None:
            try:
                e = _eclipse_fast(prob, ops)
                if e.certified:
                    cands.append((e.rho, e.y, "eclipse_fast"))
            except ValueError:
                pass
    if with_layer and cands:
        lay = _sdp.build_lmi(prob, "layer", norm, row)
        try:
            yl, _ = _sdp.solve_first_order(lay, _start_vector(lay, cands[0][1]))
        except _sdp.SolverFailure:
            pass
        else:
            cands.append((float(yl[0]), _sdp.expand_multipliers(lay, yl, yl[0]), "layer"))
    elif with_layer or not cands:
        lay = _sdp.build_lmi(prob, "layer", norm, row)
        try:
            out = _sdp.solve_and_certify(lay, cvx_chain, True, None, False, verbose)
        except _sdp.SolverFailure:
            if not cands:
                raise
        else:
            if out.certified:
                cands.append((out.rho, _sdp.expand_multipliers(lay, out.y, out.rho), "layer"))
            elif not cands:
                mults = _sdp.expand_multipliers(lay, out.y, out.rho)
                cands.append((np.inf, mults, "layer"))
    _, mults, source = min(cands, key=lambda c: c[0])
    y0 = _start_vector(lmi, mults)
    got = _sdp.certify_rho(lmi, y0)
    return y0, (got[0] if got is not None else np.inf), source


def _start_vector(lmi, mults: dict) -> np.ndarray:
    """The variable vector of ``lmi`` (ρ = 0) holding the per-neuron multipliers ``mults`` (tied within a layer
    where ``lmi`` is a layer LMI: then ``mults`` must be tied too)."""
    y0 = np.zeros(lmi.n_var)
    for v, idx in lmi.units["lambda"]:
        y0[v] = mults["lambda"][idx][0]
    for v, j in lmi.units["gamma"]:
        y0[v] = mults["gamma"][j]
    if "mu" in lmi.units:
        y0[lmi.units["mu"]] = mults["mu"]
    return y0


# the least relative improvement of ρ by which the first-order solver's answer counts as its own (below it the
# number is labelled with the formulation of its starting multipliers)
FO_MIN_GAIN = 1e-6


def _ops_of(prob) -> list | None:
    """Recover (W_k, activation) ops of a feed-forward QC problem with one slope activation per layer."""
    if not all(isinstance(lay.act, nw._Slope) for lay in prob.layers):
        return None
    ops: list = []
    c = 0
    n0 = prob.n0
    prev = n0
    for lay in prob.layers:
        W = prob.A[lay.start : lay.start + lay.width, c : c + prev]
        ops += [nw._Linear(W), nw._Act(lay.act)]
        c += prev
        prev = lay.width
    ops.append(nw._Linear(prob.C[:, c : c + prev]))
    return ops


def _eclipse_fast(prob: _sdp.QCProblem, ops: list) -> _sdp.SolveOutcome:
    """Closed-form layer-by-layer multipliers (ECLipsE-Fast style Schur recursion), then certified."""
    t0 = time.perf_counter()
    Ws = [op.W for op in ops if isinstance(op, nw._Linear)]
    acts = [op.act for op in ops if isinstance(op, nw._Act)]
    if (
        prob.feedforward_blocks is None
        or not all(isinstance(a, nw._Slope) for a in acts)
        or len(Ws) != len(acts) + 1
    ):
        raise ValueError(
            "method='eclipse_fast' needs a feed-forward network with slope-restricted activations and norm=2."
        )
    X = np.eye(Ws[0].shape[1])
    lams = []
    for W, a in zip(Ws[:-1], acts):
        m2 = (a.alpha + a.beta) ** 2
        S = W @ np.linalg.solve(X, W.T)
        s = float(np.linalg.eigvalsh(0.5 * (S + S.T))[-1])
        lam = 1.0 / (m2 * s) if m2 > 0 and s > 0 else 1.0
        lams.append(np.full(W.shape[0], lam))
        X = 2.0 * lam * np.eye(W.shape[0]) - m2 * lam**2 * S
    WL = Ws[-1]
    c = float(np.linalg.eigvalsh(WL @ np.linalg.solve(X, WL.T))[-1])
    lmi = _sdp.build_lmi(prob, "neuron", 2, None)
    y = np.zeros(lmi.n_var)
    for v, idx in lmi.units["lambda"]:
        y[v] = c * np.concatenate(lams)[idx][0]
    got = _sdp.certify_rho(lmi, y)
    dt = time.perf_counter() - t0
    if got is None:
        return _sdp.SolveOutcome(
            np.inf, _sdp.expand_multipliers(lmi, y, np.inf), False, "uncertified", None, dt, c
        )  # type: ignore[arg-type]
    rho, yy = got
    return _sdp.SolveOutcome(
        rho, _sdp.expand_multipliers(lmi, yy, rho), True, "closed_form", None, dt, c
    )  # type: ignore[arg-type]


def _split_ops(ops: list, size: int) -> tuple[list[list], float]:
    """Cut the network after every ``size`` weight layers; returns pieces and the product of cut Lipschitz."""
    pieces: list[list] = [[]]
    factor = 1.0
    n_w = 0
    for op in ops:
        if isinstance(op, nw._Act) and n_w == size:
            factor *= op.act.lipschitz2
            pieces.append([])
            n_w = 0
            continue
        pieces[-1].append(op)
        if isinstance(op, (nw._Linear, nw._ResidualOp)):
            n_w += 1
    return [p for p in pieces if p], factor


def _run_method(
    method: str, kind: str, model: Any, row: np.ndarray | None, opts: _Options
) -> _Outcome:
    """``method``'s bound of ``model`` for one output ``row`` (``None``: the whole output)."""
    norm = opts.norm
    if kind == "implicit":
        if method not in ("neuron", "layer"):
            raise ValueError(
                f"method={method!r} is not available for implicit layers; use 'neuron' or 'layer'."
            )
        imp, act = model
        prob, scl = _sdp.normalise(_sdp.compile_implicit(imp, act), row)
        out = _sdp_bound(prob, method, row, opts)
        return _rescaled(out, scl, norm)
    ops = model
    if method == "split":
        pieces, factor = _split_ops(ops, opts.split_size)
        if len(pieces) == 1:
            return _run_method("neuron", kind, ops, row, opts)
        L, cert, mults, solver_used, statuses = factor, True, [], None, []
        raw: float | None = factor
        loose = False
        for i, piece in enumerate(pieces):
            r = row if i == len(pieces) - 1 else None
            if norm != 2 and i < len(pieces) - 1:
                raise ValueError("method='split' supports norm=2 only.")
            o = _Outcome(*_run_method("neuron", kind, piece, r, opts))
            L *= o.bound
            cert &= o.certified
            mults.append(o.multipliers)
            solver_used = o.solver or solver_used
            statuses.append(o.status)
            # the solvers' own product (a closed-form piece is exact); the certified bound is affected by an
            # inaccurate piece only where that piece's certificate is looser than its solver's value
            piece_raw = o.bound if o.status == "closed_form" else o.raw
            raw = raw * piece_raw if raw is not None and piece_raw is not None else None
            loose |= _loose(o)
        if not cert:
            status = "uncertified"
        elif all(s in ("optimal", "closed_form") for s in statuses):
            status = "optimal"
        else:
            status = "optimal_inaccurate"
        return _Outcome(float(L), cert, status, solver_used, mults, raw, None, loose)
    if norm == 2 and opts.reduce:
        ops = _svd_reduce(ops)
        if row is None:  # a selected output row lives in the original output space
            ops = _output_dim_reduce(ops)
    if not any(isinstance(o, (nw._Act, nw._ResidualOp)) for o in ops):
        # a single linear map: exact
        W = ops[0].W if row is None else row[None, :] @ ops[0].W
        return _Outcome(
            nw.naive_bound([nw._Linear(W)], norm), True, "closed_form", None, None, None
        )
    # LipSDP is homogeneous in the weights: solve the exactly rescaled problem (unit-norm layers), map back
    prob, scl = _sdp.normalise(_sdp.compile_ops(ops), row)
    if method == "eclipse_fast":
        if norm != 2 or row is not None:
            raise ValueError("method='eclipse_fast' supports norm=2 on the full output only.")
        out = _eclipse_fast(prob, _ops_of(prob) or ops)
    else:
        out = _sdp_bound(prob, method, row, opts)
    return _rescaled(out, scl, norm)


def _rescaled(out: _sdp.SolveOutcome, scl: _sdp.Scaling, norm: Any) -> _Outcome:
    """The outcome for the original problem from a rescaled solve."""
    raw = scl.bound(max(out.raw_rho, 0.0), norm) if out.raw_rho is not None else None
    mults = scl.multipliers(out.y, norm) if isinstance(out.y, dict) else out.y
    return _Outcome(
        scl.bound(out.rho, norm), out.certified, out.status, out.solver, mults, raw, out.method
    )


def _prepare(kind: str, model: Any) -> tuple[Any, int]:
    """The model ready to bound (simplified; an activation at the end gets an identity read-out) and its
    number of outputs."""
    if kind != "ops":
        return model, model[0].C.shape[0]
    model = nw.simplify(model)
    if isinstance(model[-1], nw._Act):  # a network ending in an activation: identity read-out
        prev = [o for o in model if not isinstance(o, nw._Act)][-1]
        width = prev.W.shape[0] if isinstance(prev, nw._Linear) else prev.W.shape[1]
        model = [*model, nw._Linear(np.eye(width))]
    m_out = model[-1].W.shape[0] if isinstance(model[-1], nw._Linear) else model[-1].W.shape[1]
    return model, m_out


def _naive_rows(kind: str, model: Any, norm: Any, rows: list | None) -> list[float]:
    """The naive bound (product of norms; for an implicit layer the geometric series, inf when the gain is
    >= 1) per output row, or of the whole output."""
    if kind == "ops":
        return (
            [nw.naive_bound(model, norm, r) for r in rows]
            if rows
            else [nw.naive_bound(model, norm)]
        )
    imp, act = model
    lip = act.lipschitz2 if norm == 2 else act.lipschitz_inf
    opn = (lambda M: np.linalg.norm(M, 2)) if norm == 2 else (lambda M: np.abs(M).sum(1).max())
    out = []
    for r in rows or [None]:
        Cm = imp.C if r is None else r[None, :] @ imp.C
        gain = lip * opn(imp.W)
        out.append(float(opn(Cm) * lip * opn(imp.U) / (1 - gain)) if gain < 1 else float("inf"))
    return out


def _multipliers(outs: list[_Outcome]) -> Any:
    """The multipliers of the result: one set, or a list per output row."""
    return [o.multipliers for o in outs] if len(outs) > 1 else outs[0].multipliers


def _raw(outs: list[_Outcome]) -> float | None:
    """The largest solver-reported bound over the rows (``None`` if some row has none)."""
    raws = [o.raw for o in outs]
    return max(raws) if all(r is not None for r in raws) else None


def lipschitz_bound(
    model_or_weights: Any,
    activation: Any = "relu",
    method: str = "neuron",
    norm: Any = 2,
    output_index: Any = None,
    solver: Any = "auto",
    split_size: int = 2,
    certify: bool = True,
    reduce: bool = True,
    verbose: bool = False,
) -> LipschitzResult:
    """Certified global Lipschitz upper bound of a neural network (LipSDP and its MaxMin extension).

    Parameters
    ----------
    model_or_weights : list, torch.nn.Sequential or Implicit
        A list of weight matrices of shape ``(n_out, n_in)`` (arrays, tensors or nested lists; a ``(W, b)``
        pair only as a *tuple* whose first element is 2-D, so a two-row nested list is always a matrix; or
        :class:`Residual` blocks), a single 2-D array, a torch ``nn.Sequential`` of ``Linear`` and activation
        layers (ReLU, LeakyReLU, Tanh, Sigmoid, ELU, Softplus and causalkit's ``MaxMin``, ``GroupSort``,
        ``Householder``, ``ResidualBlock``; a module wrapping exactly one ``nn.Sequential`` works if its
        forward computes that Sequential), or an :class:`Implicit` (DEQ) layer. Ambiguous forms (a bare
        nested list of numbers, a top-level ``(W, b)`` tuple) raise ``ValueError``.
    activation : str, tuple or list, default "relu"
        For weight lists: ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"elu"`` (or ``("elu", alpha)``),
        ``"softplus"`` (or ``("softplus", beta)``), ``"leaky_relu"`` (or ``("leaky_relu", a)``),
        ``("slope", alpha, beta)``, ``"linear"`` (layers are collapsed), ``"maxmin"``, ``"groupsort"`` /
        ``("groupsort", g)``, ``"householder"`` / ``("householder", v)``; or a list with one spec per
        activation in network order: one between each pair of consecutive weight matrices and one for every
        :class:`Residual` block without its own ``activation``. Ignored for torch models (read from the
        layers, with their parameters).
    method : {"neuron", "layer", "chordal", "split", "eclipse_fast", "naive"}, default "neuron"
        ``neuron``: one multiplier per neuron (tightest). ``layer``: one per layer (fast). ``chordal``: the
        neuron LMI split exactly into clique LMIs of consecutive layer pairs. ``split``: sub-networks of
        ``split_size`` layers, bounds multiplied. ``eclipse_fast``: closed-form layer-by-layer multipliers.
        ``naive``: product of layer norms. LipSDP-"Network" coupling is deliberately not offered (unsound).
        When a method gives no certified bound the next one is tried, in the measured order (tightest
        first on 24 seeded random networks, benchmarks/results/lipsdp.md): neuron, chordal, layer,
        eclipse_fast, split, naive (status ``"fallback"`` and a :class:`SolverWarning`). ``method`` of the
        result is always the formulation that produced the number.
    norm : 2 or "inf", default 2
        ℓ2 → ℓ2 bound, or the ℓ∞ → ``|·|`` bound of a scalar output (one SDP per output; for several outputs the
        maximum, i.e. the ℓ∞ → ℓ∞ bound).
    output_index : None, int or (int, int)
        Restrict to one output, or the difference ``f_i − f_j`` (logit margin).
    solver : "auto", str or list of str, default "auto"
        cvxpy solver(s). ``"auto"`` tries the installed ones in order MOSEK, CVXOPT, SCS, CLARABEL and falls
        back along that chain. SDPA, whose native code can end the process on degenerate LMIs, runs only when
        named, and then in a separate worker process (a Python start-up per solve; a dead worker is a solver
        failure). A named solver that fails raises ``RuntimeError`` with its status. ``"first_order"``: the
        certified first-order solver (slope-restricted ℓ2 neuron LMIs; ``"auto"`` uses it for neuron LMIs
        larger than 300), started from ECLipsE-Fast or the layer SDP; under ``"auto"`` from the tighter of
        both, so the default is never looser than the layer bound. Where it does not improve on its start
        by more than 1e-6 (relative, in ρ), the result is labelled with the start's formulation (``method``
        ``"layer"`` or ``"eclipse_fast"``, status ``"fallback"``, a :class:`SolverWarning`), never as
        ``"neuron"``; group activations (MaxMin, GroupSort, Householder) are such a case for now.

    Every LMI is solved in an exactly rescaled form (unit-norm layers; LipSDP is homogeneous in the weights),
    so tiny or huge weights do not break the solvers, and a bound materially above the naive product of norms
    is never returned (the naive bound is, with status ``"fallback"`` and a :class:`SolverWarning`). Warnings
    are :class:`causalkit.exceptions.SolverWarning`. A network whose naive bound over- or underflows double
    precision raises ``ValueError``; one with a zero layer gets the exact bound 0.
    split_size : int, default 2
        Layers per sub-network for ``method="split"``.
    certify : bool, default True
        Re-derive the bound from the multipliers (clip, rebuild, Schur complement, Cholesky + eigenvalue). If
        it fails, fall back to the next method (status ``"fallback"``) instead of reporting a wrong number.
    reduce : bool, default True
        Exact ℓ2 reductions: thin SVD of the first layer and QR of the last.
    verbose : bool, default False
        Solver output.

    Returns
    -------
    LipschitzResult

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import lipschitz_bound
    >>> W1, W2 = np.diag([3.0, 1.0, 0.5]), np.diag([0.2, 2.0, 1.0])
    >>> res = lipschitz_bound([W1, W2], activation="relu", method="neuron")
    >>> round(res.bound, 4), res.certified, res.naive_bound
    (2.0, True, 6.0)
    """
    t0 = time.perf_counter()
    opts = _Options.validate(method, norm, split_size, certify, reduce, verbose)
    method, norm = opts.method, opts.norm
    kind, model = _parse_model(model_or_weights, activation)
    model, m_out = _prepare(kind, model)
    rows = _output_rows(m_out, output_index)
    if norm == "inf" and rows is None:
        rows = [np.eye(m_out)[i] for i in range(m_out)]
    naive_rows = _naive_rows(kind, model, norm, rows)
    naive = max(naive_rows)
    if kind == "ops":
        _check_representable(model, norm, rows, naive_rows)
    if method == "naive" or naive == 0.0:  # naive 0: a zero layer, the network is constant (exact)
        if not np.isfinite(naive):
            raise ValueError(
                "lipschitz_bound: the naive bound is infinite (an implicit layer with gain >= 1); use "
                "method='neuron' or 'layer'."
            )
        return opts.result(t0, naive, naive, "naive", "closed_form", True)
    opts = opts.with_solver(solver)
    tried: list[str] = []
    for meth in opts.ladder(kind):
        if meth == "naive":
            if not np.isfinite(naive):
                raise ValueError(
                    f"lipschitz_bound: no finite certified bound ({tried}); for an implicit layer this means "
                    "the LMI could not certify that the equilibrium is well posed."
                )
            _warn(
                f"lipschitz_bound: no certified bound from {tried}; returning the naive product of norms.",
            )
            return opts.result(t0, naive, naive, "naive", "fallback", True)
        try:
            # _Outcome(*...): a plain 6-tuple from _run_method is accepted too
            outs = [_Outcome(*_run_method(meth, kind, model, r, opts)) for r in rows or [None]]
            labels = {o.method or meth for o in outs}  # the formulations that produced the numbers
        except _sdp.SolverFailure as exc:
            if opts.strict:
                raise RuntimeError(
                    f"lipschitz_bound: SDP solver {exc.solver} failed (status: {exc.status}) for method "
                    f"{meth!r}: {exc}. Try solver='auto' for a fallback chain."
                ) from exc
            tried.append(f"{meth} (solver failure: {exc.status})")
            continue
        except ValueError:
            if meth == method:
                raise
            tried.append(f"{meth} (not applicable)")
            continue
        solver_used = next((o.solver for o in reversed(outs) if o.solver), None)
        # never report materially more than the naive product of norms (itself a certified bound); within
        # 1e-6 of it the bound is kept as is, so that the multipliers still certify the reported number
        caps = naive_rows if len(naive_rows) == len(outs) else [naive] * len(outs)
        worse = [not o.bound <= c * (1 + 1e-6) for o, c in zip(outs, caps)]
        bounds = [c if w else o.bound for o, c, w in zip(outs, caps, worse)]
        if not opts.certify:
            return opts.result(
                t0,
                naive,
                float(max(bounds)),
                meth,
                "uncertified",
                False,
                solver=solver_used,
                multipliers=_multipliers(outs),
                raw=_raw(outs),
            )
        if not all(o.certified for o in outs):
            tried.append(f"{meth} (uncertified)")
            continue
        stats = [o.status for o in outs]
        status = (
            "optimal"
            if all(s in ("optimal", "closed_form") for s in stats)
            else "optimal_inaccurate"
        )
        meth_out = meth if labels == {meth} else "+".join(m for m in METHODS if m in labels)
        if meth != method:
            status = "fallback"
            _warn(
                f"lipschitz_bound: method {method!r} gave no certified bound ({tried}); the bound comes "
                f"from {meth_out!r}.",
            )
        elif meth_out != meth:
            # the first-order solver did not improve on the bound of the formulation it started from
            status = "fallback"
            _warn(
                f"lipschitz_bound: the first-order solver did not improve the {meth!r} bound beyond the "
                f"{meth_out!r} bound it started from (for {sum(o.method is not None for o in outs)} of "
                f"{len(outs)} output(s)); the bound is that of {meth_out!r}.",
            )
        elif any(_loose(o, b) for b, o in zip(bounds, outs)):
            # only when the inaccuracy cost tightness: the certified bound exceeds the solver's value
            _warn(
                "lipschitz_bound: the solver reported 'optimal_inaccurate'; the bound is still certified "
                "from the multipliers but is looser than the solver's value.",
            )
        mults_out = _multipliers(outs)
        if any(worse):
            status = "fallback"
            if all(worse):
                meth_out, mults_out = "naive", None
            _warn(
                f"lipschitz_bound: the certified {meth!r} bound exceeded the naive product of norms "
                f"(for {sum(worse)} of {len(worse)} output(s)); the naive bound is returned there.",
            )
        return opts.result(
            t0,
            naive,
            float(max(bounds)),
            meth_out,
            status,
            True,
            solver=solver_used,
            multipliers=mults_out,
            raw=_raw(outs),
        )
    raise RuntimeError(
        f"lipschitz_bound: no method produced a bound ({tried})."
    )  # pragma: no cover


class LipschitzEstimator(BaseEstimator):
    """Estimator-style wrapper of :func:`lipschitz_bound` for pipelines and model selection.

    Parameters are those of :func:`lipschitz_bound`; every one after ``activation`` is keyword-only.
    ``fit(X)`` certifies the bound of the network ``X`` (anything :func:`lipschitz_bound` takes as
    ``model_or_weights``): the scikit-learn form ``fit(X, y=None)`` of a predictive/transforming estimator,
    where the "data" is the network (``y`` is ignored).

    A certified bound is not an estimate, so there is no ``inference_``/``summary``/``conf_int``: the
    certificate is ``result_`` (a deliberate deviation from the results vocabulary of #13, listed in
    ``NO_INFERENCE`` of ``tests/test_api_contract.py``).

    Attributes
    ----------
    bound_ : float
    certified_ : bool
    result_ : LipschitzResult

    Examples
    --------
    >>> import numpy as np
    >>> from causalkit.solvers import LipschitzEstimator
    >>> est = LipschitzEstimator(method="layer").fit([np.eye(2), 2 * np.eye(2)])
    >>> round(est.bound_, 4)
    2.0
    """

    def __init__(
        self,
        activation: Any = "relu",
        *,
        method: str = "neuron",
        norm: Any = 2,
        output_index: Any = None,
        solver: Any = "auto",
        split_size: int = 2,
        certify: bool = True,
        reduce: bool = True,
    ):
        self.activation = activation
        self.method = method
        self.norm = norm
        self.output_index = output_index
        self.solver = solver
        self.split_size = split_size
        self.certify = certify
        self.reduce = reduce

    def fit(self, X: Any, y: Any = None) -> LipschitzEstimator:
        """Certify the Lipschitz bound of the network ``X``.

        Parameters
        ----------
        X : list, torch.nn.Sequential or Implicit
            The network, in any form :func:`lipschitz_bound` accepts as ``model_or_weights``.
        y : None
            Ignored (scikit-learn convention).

        Returns
        -------
        self
        """
        self.result_ = lipschitz_bound(
            X,
            activation=self.activation,
            method=self.method,
            norm=self.norm,
            output_index=self.output_index,
            solver=self.solver,
            split_size=self.split_size,
            certify=self.certify,
            reduce=self.reduce,
        )
        self.bound_ = float(self.result_.bound)
        self.certified_ = bool(self.result_.certified)
        return self
