"""The LipSDP linear matrix inequalities: assembly, solution with cvxpy, and certification.

Every network is written in the incremental "linear fractional" form

    ξ = (Δx₀, Δw),   Δv = A ξ,   Δw = B ξ = [0 I] ξ,   Δy = C ξ,

where Δv are the pre-activations and Δw the activation outputs of all hidden neurons.  Each activation unit
contributes a quadratic constraint (QC) with a multiplier; the ℓ2 LMI is

    M(ρ, y) = Σₐ yₐ Fₐ + CᵀC − ρ blkdiag(I, 0) ⪯ 0     (L₂ ≤ √ρ)

and the ℓ∞ LMI for a scalar output c (GeoLIP) is, with ζ = (1, ξ),

    −P(ρ, μ, y) = [[−2ρ + 1ᵀμ, c̃ᵀ], [c̃, −diag(μ, 0) + Σₐ yₐ Fₐ]] ⪯ 0     (L∞ ≤ ρ).

Both are assembled as ``F0 + Σ yᵢ Fᵢ`` through one sparse (d² × n_vars) matrix and a single reshape.  Sparsity is
exploited exactly: disconnected blocks become separate PSD cones (the MaxMin chain), and block-tridiagonal
feed-forward LMIs can be split into clique LMIs (chordal decomposition).

Certification rebuilds ``M`` from the (clipped) multipliers and computes, by a Schur complement, the smallest ρ
for which they certify the LMI; an inaccurate solver can therefore loosen a bound but never make it unsound.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ._network import Implicit, _Act, _Group, _Linear, _ResidualOp, _Slope

# ----------------------------------------------------------------------------------------------------------
# network -> QC problem


@dataclass
class _Layer:
    """Hidden units created by one activation op."""

    start: int  # offset in the hidden coordinates
    width: int
    act: Any
    depth: int


@dataclass
class QCProblem:
    n0: int
    A: np.ndarray  # (N, d) pre-activations as a function of ξ
    C: np.ndarray  # (m, d) output as a function of ξ
    layers: list[_Layer]
    feedforward_blocks: list[int] | None = None  # block sizes when M is block-tridiagonal

    @property
    def N(self) -> int:
        return self.A.shape[0]

    @property
    def d(self) -> int:
        return self.n0 + self.N


def compile_ops(ops: list) -> QCProblem:
    """Turn a list of ops (starting with a map from the input) into the (A, C) form."""
    n0 = ops[0].W.shape[1]
    N = 0
    dim = n0
    for op in ops:
        if isinstance(op, _Linear):
            dim = op.W.shape[0]
        elif isinstance(op, _Act):
            N += dim
        elif isinstance(op, _ResidualOp):
            N += op.W.shape[0]
    d = n0 + N
    A = np.zeros((N, d))
    cur = np.zeros((n0, d))
    cur[:, :n0] = np.eye(n0)
    layers: list[_Layer] = []
    pos = 0
    feedforward = True
    blocks = [n0]
    for op in ops:
        if isinstance(op, _Linear):
            cur = op.W @ cur
        elif isinstance(op, _Act):
            w = cur.shape[0]
            A[pos : pos + w] = cur
            layers.append(_Layer(pos, w, op.act, len(layers) + 1))
            cur = np.zeros((w, d))
            cur[:, n0 + pos : n0 + pos + w] = np.eye(w)
            blocks.append(w)
            pos += w
        elif isinstance(op, _ResidualOp):
            h = op.W.shape[0]
            A[pos : pos + h] = op.W @ cur
            layers.append(_Layer(pos, h, op.act, len(layers) + 1))
            out = np.zeros((h, d))
            out[:, n0 + pos : n0 + pos + h] = np.eye(h)
            cur = (cur if op.skip is None else op.skip @ cur) + op.V @ out
            pos += h
            feedforward = False
    return QCProblem(n0, A, cur, layers, blocks if feedforward else None)


@dataclass
class Scaling:
    """An exact rescaling of a QC problem (LipSDP is homogeneous in the weights).

    With ξ = D ξ̂, D = blkdiag(I, diag(d)) (``d`` constant within each layer) and Δy = S Δŷ, the rescaled problem
    has Â = diag(d)⁻¹ A D and Ĉ = C D / S; every quadratic constraint is preserved (the hidden units' Δv and Δw
    scale together), so L = S·L̂ (ℓ2: ρ = S²ρ̂; ℓ∞: ρ = Sρ̂) and the multipliers map back as λ = f·λ̂/d² (f = S² or S),
    μ = S·μ̂.
    """

    d: np.ndarray  # (N,) scale of every hidden unit
    S: float  # output scale
    # hidden units of each group (group activations), in γ order
    groups: list = field(default_factory=list)

    def bound(self, rho_hat: float, norm: Any) -> float:
        """The Lipschitz bound of the original problem from the rescaled problem's ρ̂."""
        return float(self.S * (np.sqrt(max(rho_hat, 0.0)) if norm == 2 else rho_hat))

    def rho(self, rho_hat: float, norm: Any) -> float:
        S = np.float64(self.S)  # numpy arithmetic: an overflow gives inf, not an OverflowError
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return float(S**2 * rho_hat if norm == 2 else S * rho_hat)

    def multipliers(self, mults: dict, norm: Any) -> dict:
        """Per-neuron λ, per-group γ, μ (ℓ∞) of the original problem from those of the rescaled one.

        With weights near the limits of double precision these can over- or underflow (to inf or 0) although
        the bound itself is representable: the certificate is then only representable in rescaled units.
        """
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return self._multipliers(mults, norm)

    def _multipliers(self, mults: dict, norm: Any) -> dict:
        S = np.float64(self.S)
        f_over_d2 = (S / self.d) ** 2 if norm == 2 else S / self.d**2
        out = dict(mults)
        out["rho"] = self.rho(mults["rho"], norm)
        out["lambda"] = np.asarray(mults["lambda"], float) * f_over_d2
        if "gamma" in mults:
            out["gamma"] = np.array(
                [g * f_over_d2[idx[0]] for g, idx in zip(mults["gamma"], self.groups)]
            )
        if "mu" in mults:
            out["mu"] = np.asarray(mults["mu"], float) * S
        return out


def normalise(prob: QCProblem, row: np.ndarray | None = None) -> tuple[QCProblem, Scaling]:
    """Rescale ``prob`` so that every layer's map from the previous signals and the read-out have unit ℓ2 norm.

    Exact (see :class:`Scaling`); it keeps solvers away from the badly scaled LMIs that tiny or huge weights
    produce (all of them failed, or certified far above the naive bound, without it). ``row`` selects the
    output row the read-out is normalised for.
    """
    n0, A, C = prob.n0, prob.A, prob.C
    dvec = np.ones(prob.d)
    for lay in prob.layers:
        idx = np.arange(lay.start, lay.start + lay.width)
        own = n0 + idx
        M = A[idx] * dvec[None, :]
        M[:, own] = 0.0  # an implicit layer's own feedback W z is invariant under the rescaling
        with np.errstate(over="ignore", invalid="ignore"):
            s = float(np.linalg.norm(M, 2)) if np.all(np.isfinite(M)) else np.nan
        dvec[own] = s if np.isfinite(s) and s > 0 else 1.0
    Cm = C if row is None else row[None, :] @ C
    with np.errstate(over="ignore", invalid="ignore"):
        Cd = Cm * dvec[None, :]
        S = float(np.linalg.norm(Cd, 2)) if np.all(np.isfinite(Cd)) else np.nan
    S = S if np.isfinite(S) and S > 0 else 1.0
    dh = dvec[n0:]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        A_hat = A * dvec[None, :] / dh[:, None]
        C_hat = C * dvec[None, :] / S
    if not (np.all(np.isfinite(A_hat)) and np.all(np.isfinite(C_hat))):
        raise ValueError(
            "model_or_weights: the weights' magnitudes span more than double precision can represent "
            "(the rescaled network overflows); rescale the layers."
        )
    groups = [
        np.arange(lay.start + j * lay.act.g, lay.start + (j + 1) * lay.act.g)
        for lay in prob.layers
        if isinstance(lay.act, _Group)
        for j in range(lay.width // lay.act.g)
    ]
    return (
        QCProblem(n0, A_hat, C_hat, prob.layers, prob.feedforward_blocks),
        Scaling(dh.copy(), S, groups),
    )


def compile_implicit(model: Implicit, act: Any) -> QCProblem:
    W, U, C = model.W, model.U, model.C
    n0, N = U.shape[1], W.shape[0]
    A = np.hstack([U, W])
    Cf = np.hstack([np.zeros((C.shape[0], n0)), C])
    return QCProblem(n0, A, Cf, [_Layer(0, N, act, 1)], None)


# ----------------------------------------------------------------------------------------------------------
# multipliers and the sparse affine map


@dataclass
class LMI:
    """``M(y) = const + Σ y_i F_i ⪯ 0`` with F given in COO form; variable 0 is the objective ρ."""

    D: int
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    var: np.ndarray
    crows: np.ndarray
    ccols: np.ndarray
    cvals: np.ndarray
    n_var: int
    nonneg: np.ndarray  # bool mask over variables (ρ excluded)
    depth: np.ndarray  # depth of each variable (for certification perturbations)
    obj_coords: np.ndarray  # coordinates where ρ enters (−g on the diagonal)
    obj_gain: float
    norm: Any
    units: dict = field(default_factory=dict)  # how to expand variables to per-neuron multipliers

    def dense(self, y: np.ndarray) -> np.ndarray:
        """The matrix M(y) (dense), through one cached sparse (D² × n_var) operator and a reshape."""
        op = self.__dict__.get("_op")
        if op is None:
            D = self.D
            op = sp.csr_matrix(
                (self.vals, (self.rows + D * self.cols, self.var)), shape=(D * D, self.n_var)
            )
            f0 = np.bincount(self.crows + D * self.ccols, self.cvals, minlength=D * D)
            self.__dict__["_op"] = op
            self.__dict__["_f0"] = f0
        return (op @ y + self.__dict__["_f0"]).reshape(self.D, self.D, order="F")


def build_lmi(prob: QCProblem, method: str, norm: Any, row: np.ndarray | None) -> LMI:
    """Assemble the ℓ2 (``row=None`` or a row) or ℓ∞ (``row`` required) LMI for ``method`` neuron/layer."""
    n0, A, d = prob.n0, prob.A, prob.d
    R: list[np.ndarray] = []
    Cc: list[np.ndarray] = []
    V: list[np.ndarray] = []
    X: list[np.ndarray] = []
    var_depth = [0]
    var_nonneg = [False]
    lam_map: list[tuple[int, np.ndarray]] = []  # (var, hidden indices) for λ
    gam_map: list[tuple[int, int]] = []  # (var, group id) for γ
    n_groups = 0

    def new_var(depth: int, nonneg: bool) -> int:
        var_depth.append(depth)
        var_nonneg.append(nonneg)
        return len(var_depth) - 1

    def add(r, c, v, x):
        R.append(np.asarray(r, dtype=np.int64).ravel())
        Cc.append(np.asarray(c, dtype=np.int64).ravel())
        V.append(np.asarray(v, dtype=float).ravel())
        X.append(np.broadcast_to(np.asarray(x, dtype=np.int64), R[-1].shape).ravel())

    for lay in prob.layers:
        idx = np.arange(lay.start, lay.start + lay.width)
        Al = A[idx]
        sup = np.flatnonzero(np.any(Al != 0, axis=0))
        act = lay.act
        if isinstance(act, _Slope):
            a, b = act.alpha, act.beta
            if method == "layer":
                vids = np.full(lay.width, new_var(lay.depth, True))
            else:
                vids = np.array([new_var(lay.depth, True) for _ in range(lay.width)])
            for i, v in enumerate(vids):
                lam_map.append((int(v), idx[i : i + 1]))
            ii, jj = np.nonzero(Al)
            e = n0 + idx
            if a + b != 0:
                add(e[ii], jj, (a + b) * Al[ii, jj], vids[ii])
                add(jj, e[ii], (a + b) * Al[ii, jj], vids[ii])
            add(e, e, -2.0 * np.ones(lay.width), vids)
            if a * b != 0:
                for i in range(lay.width):
                    nz = np.flatnonzero(Al[i])
                    out = -2.0 * a * b * np.outer(Al[i, nz], Al[i, nz])
                    rr, cc = np.meshgrid(nz, nz, indexing="ij")
                    add(rr, cc, out, vids[i])
        elif isinstance(act, _Group):
            g = act.g
            K = act.proj
            ng = lay.width // g
            if method == "layer":
                lv = np.full(ng, new_var(lay.depth, True))
                gv = np.full(ng, new_var(lay.depth, False))
            else:
                lv = np.array([new_var(lay.depth, True) for _ in range(ng)])
                gv = np.array([new_var(lay.depth, False) for _ in range(ng)])
            rr, cc = np.meshgrid(sup, sup, indexing="ij")
            for j in range(ng):
                gi = idx[j * g : (j + 1) * g]
                lam_map.append((int(lv[j]), gi))
                gam_map.append((int(gv[j]), n_groups + j))
                As = A[gi][:, sup]
                e = n0 + gi
                er, ec = np.meshgrid(e, e, indexing="ij")
                # λ (‖Δv‖² − ‖Δw‖²) and γ (Δvᵀ K Δv − Δwᵀ K Δw), both ≥ 0 for every input pair
                add(rr, cc, As.T @ As, lv[j])
                add(e, e, -np.ones(g), lv[j])
                add(rr, cc, As.T @ K @ As, gv[j])
                add(er, ec, -K, gv[j])
            n_groups += ng
        else:  # pragma: no cover - parse_activation guarantees the type
            raise TypeError(f"unsupported activation {act!r}")

    rows = np.concatenate(R) if R else np.zeros(0, np.int64)
    cols = np.concatenate(Cc) if Cc else np.zeros(0, np.int64)
    vals = np.concatenate(V) if V else np.zeros(0)
    var = np.concatenate(X) if X else np.zeros(0, np.int64)
    n_var = len(var_depth)
    units = {"lambda": lam_map, "gamma": gam_map, "n_groups": n_groups, "N": prob.N, "n0": n0}

    if norm == 2:
        Cm = prob.C if row is None else row[None, :] @ prob.C
        sup = np.flatnonzero(np.any(Cm != 0, axis=0))
        CtC = Cm[:, sup].T @ Cm[:, sup]
        cr, cc = np.meshgrid(sup, sup, indexing="ij")
        # ρ: −I on the input block
        rows = np.concatenate([rows, np.arange(n0)])
        cols = np.concatenate([cols, np.arange(n0)])
        vals = np.concatenate([vals, -np.ones(n0)])
        var = np.concatenate([var, np.zeros(n0, np.int64)])
        return LMI(
            d,
            rows,
            cols,
            vals,
            var,
            cr.ravel(),
            cc.ravel(),
            CtC.ravel(),
            n_var,
            np.array(var_nonneg),
            np.array(var_depth),
            np.arange(n0),
            1.0,
            2,
            units,
        )
    # ℓ∞: −P of size 1 + d; variables ρ, atoms..., μ (n0 of them)
    c_tilde = row @ prob.C
    mu0 = n_var
    mu_ids = np.arange(mu0, mu0 + n0)
    n_var += n0
    var_nonneg = [*var_nonneg, *([True] * n0)]
    var_depth = [*var_depth, *([0] * n0)]
    units["mu"] = mu_ids
    sup = np.flatnonzero(c_tilde)
    rows = np.concatenate([rows + 1, [0], np.zeros(n0, np.int64), 1 + np.arange(n0)])
    cols = np.concatenate([cols + 1, [0], np.zeros(n0, np.int64), 1 + np.arange(n0)])
    vals = np.concatenate([vals, [-2.0], np.ones(n0), -np.ones(n0)])
    var = np.concatenate([var, [0], mu_ids, mu_ids])
    crows = np.concatenate([np.zeros(sup.size, np.int64), 1 + sup])
    ccols = np.concatenate([1 + sup, np.zeros(sup.size, np.int64)])
    cvals = np.concatenate([c_tilde[sup], c_tilde[sup]])
    return LMI(
        d + 1,
        rows,
        cols,
        vals,
        var,
        crows,
        ccols,
        cvals,
        n_var,
        np.array(var_nonneg),
        np.array(var_depth),
        np.array([0]),
        2.0,
        "inf",
        units,
    )


def expand_multipliers(lmi: LMI, y: np.ndarray, rho: float) -> dict:
    """Per-neuron λ, per-group γ, μ (ℓ∞) from the variable vector."""
    u = lmi.units
    lam = np.zeros(u["N"])
    for v, idx in u["lambda"]:
        lam[idx] = y[v]
    out = {"rho": float(rho), "lambda": lam}
    if u["n_groups"]:
        gam = np.zeros(u["n_groups"])
        for v, j in u["gamma"]:
            gam[j] = y[v]
        out["gamma"] = gam
    if "mu" in u:
        out["mu"] = y[u["mu"]].copy()
    return out


# ----------------------------------------------------------------------------------------------------------
# certification


def certify_rho(lmi: LMI, y: np.ndarray) -> float | None:
    """Smallest ρ for which the multipliers ``y`` (ρ ignored) certify the LMI; ``None`` if they cannot.

    Non-negative multipliers are clipped at 0; the hidden block must be negative definite (Cholesky).  Tries the
    raw multipliers and a few depth-graded inflations (still valid multipliers) that make a singular hidden block
    strictly definite, and returns the smallest certified value.
    """
    y = np.asarray(y, dtype=float).copy()
    y[lmi.nonneg] = np.maximum(y[lmi.nonneg], 0.0)
    best = None
    kmax = int(lmi.depth.max()) if lmi.depth.size else 0
    P = lmi.obj_coords
    mask = np.ones(lmi.D, bool)
    mask[P] = False
    H = np.flatnonzero(mask)
    for eps in (0.0, 1e-9, 1e-7, 1e-5, 1e-3):
        yy = y.copy()
        if eps:
            yy[1:] = yy[1:] * (1.0 + eps) ** (kmax + 1 - lmi.depth[1:])
            pos = lmi.nonneg.copy()
            scale = np.max(np.abs(yy[1:])) if yy.size > 1 else 1.0
            yy[pos] += eps * 1e-3 * scale
        yy[0] = 0.0
        M0 = lmi.dense(yy)
        M0 = 0.5 * (M0 + M0.T)
        if H.size:
            MHH = M0[np.ix_(H, H)]
            try:
                Lc = np.linalg.cholesky(-MHH)
            except np.linalg.LinAlgError:
                continue
            Z = np.linalg.solve(Lc, M0[np.ix_(H, P)])
            S = M0[np.ix_(P, P)] + Z.T @ Z
        else:
            S = M0[np.ix_(P, P)]
        lam_max = float(np.linalg.eigvalsh(0.5 * (S + S.T))[-1])
        rho = max(lam_max, 0.0) / lmi.obj_gain
        rho = rho * (1.0 + 1e-12) + 1e-300  # cover the rounding of the final eigenvalue
        if best is None or rho < best[0]:
            best = (rho, yy)
    if best is None:
        return None
    return best


# ----------------------------------------------------------------------------------------------------------
# solvers

_EXTRA = {
    "SDPA": "sdp-fast",
    "CVXOPT": "sdp-fast",
    "SCS": "sdp",
    "CLARABEL": "sdp",
    "MOSEK": "mosek",
}
AUTO_ORDER = ("MOSEK", "SDPA", "CVXOPT", "SCS", "CLARABEL")
# Solvers whose native code can end the whole Python process (SDPA's C++ calls exit() on some degenerate LMIs,
# with status 0 and no message): they only ever run in a separate worker process, and solver="auto" skips
# them (a worker costs a Python start-up per solve) unless nothing else is installed.
ISOLATED = frozenset({"SDPA"})
_IN_WORKER = False
_OPTIONS: dict[str, dict] = {
    # certification absorbs SCS's inaccuracy (a slightly looser, still valid bound)
    "SCS": {"eps_abs": 1e-6, "eps_rel": 1e-6, "max_iters": 20_000},
    "CLARABEL": {},
    "CVXOPT": {},
    "SDPA": {},
    "MOSEK": {},
}


def _cvxpy():
    from causalkit._base import optional_import

    return optional_import("cvxpy", "sdp")


# LMIs larger than this go to the certified first-order solver under solver="auto" (method "neuron")
FIRST_ORDER_MIN_SIZE = 300


def installed_solvers() -> list[str]:
    """SDP-capable solvers available to cvxpy, in preference order (``solver="auto"`` skips SDPA, see below).

    Examples
    --------
    >>> from causalkit.solvers import installed_solvers
    >>> isinstance(installed_solvers(), list)
    True
    """
    try:
        cp = _cvxpy()
    except ImportError:
        return []
    inst = set(cp.installed_solvers())
    return [s for s in AUTO_ORDER if s in inst]


def solver_chain(solver: Any) -> list[str]:
    if solver is None or (isinstance(solver, str) and solver.lower() == "auto"):
        cp = _cvxpy()
        inst = installed_solvers()
        chain = [s for s in inst if s not in ISOLATED] or inst
        if not chain:
            raise ImportError(
                f"no SDP solver is installed for cvxpy {cp.__version__}; "
                'install one with: pip install "causalkit[sdp]"'
            )
        return chain
    if isinstance(solver, (list, tuple)):
        if not solver:
            raise ValueError(
                "solver: got an empty list; pass 'auto', a solver name or a non-empty list."
            )
        return [c for s in solver for c in solver_chain(s)]
    if not isinstance(solver, str):
        raise TypeError(f"solver must be 'auto', a solver name or a list of names; got {solver!r}.")
    name = solver.upper()
    if name == "FIRST_ORDER":
        return [name]
    if name not in _EXTRA:
        raise ValueError(
            f"solver: unknown SDP solver {solver!r}; expected 'auto' or one of {list(_EXTRA)}."
        )
    cp = _cvxpy()
    if name not in cp.installed_solvers():
        extra = _EXTRA[name]
        hint = (
            "pip install mosek (and a MOSEK licence)"
            if extra == "mosek"
            else f'pip install "causalkit[{extra}]"'
        )
        raise ImportError(f"solver {name!r} is not installed; install it with: {hint}")
    return [name]


class SolverFailure(RuntimeError):
    """An SDP solver failed; ``status`` holds the cvxpy status (or the exception text)."""

    def __init__(self, message: str, status: str, solver: str):
        super().__init__(message)
        self.status = status
        self.solver = solver


def _components(lmi: LMI) -> tuple[int, np.ndarray]:
    r = np.concatenate([lmi.rows, lmi.crows])
    c = np.concatenate([lmi.cols, lmi.ccols])
    G = sp.coo_matrix((np.ones(r.size), (r, c)), shape=(lmi.D, lmi.D))
    return connected_components(G, directed=False)


def _affine(cp, lmi: LMI, sel: np.ndarray, y, keep: np.ndarray | None = None):
    """cvxpy expression of M restricted to coordinates ``sel`` (entries filtered by ``keep``)."""
    m = sel.size
    pos = np.full(lmi.D, -1)
    pos[sel] = np.arange(m)
    in_v = (pos[lmi.rows] >= 0) & (pos[lmi.cols] >= 0)
    if keep is not None:
        in_v &= keep[0]
    in_c = (pos[lmi.crows] >= 0) & (pos[lmi.ccols] >= 0)
    if keep is not None:
        in_c &= keep[1]
    lin = pos[lmi.rows[in_v]] + m * pos[lmi.cols[in_v]]
    F = sp.csc_matrix((lmi.vals[in_v], (lin, lmi.var[in_v])), shape=(m * m, lmi.n_var))
    f0 = np.zeros(m * m)
    np.add.at(f0, pos[lmi.crows[in_c]] + m * pos[lmi.ccols[in_c]], lmi.cvals[in_c])
    return cp.reshape(F @ y + f0, (m, m), order="F")


def solve_lmi(
    lmi: LMI, solver: str, chordal_blocks: list[int] | None = None, verbose: bool = False
) -> tuple[np.ndarray, str]:
    """Minimise ρ subject to M(y) ⪯ 0; returns (y, status). Raises SolverFailure.

    Solvers in :data:`ISOLATED` run in a worker process, so that their native code cannot end this one.
    """
    if solver in ISOLATED and not _IN_WORKER:
        return _solve_in_worker(lmi, solver, chordal_blocks, verbose)
    cp = _cvxpy()
    y = cp.Variable(lmi.n_var)
    cons = []
    nn = np.flatnonzero(lmi.nonneg)
    if nn.size:
        cons.append(y[nn] >= 0)
    if chordal_blocks is not None and len(chordal_blocks) > 2:
        cons += _chordal_constraints(cp, lmi, y, chordal_blocks)
    else:
        n_comp, lab = _components(lmi)
        for k in range(n_comp):
            sel = np.flatnonzero(lab == k)
            expr = _affine(cp, lmi, sel, y)
            if sel.size == 1:
                cons.append(expr <= 0)
            else:
                cons.append(expr << 0)
    prob = cp.Problem(cp.Minimize(y[0]), cons)
    try:
        with warnings.catch_warnings(), _quiet(not verbose and solver == "SDPA"):
            warnings.simplefilter("ignore")
            prob.solve(solver=solver, verbose=verbose, **_OPTIONS.get(solver, {}))
    except Exception as exc:  # cvxpy.error.SolverError, licence errors, ...
        raise SolverFailure(f"solver {solver} failed: {exc}", f"error: {exc}", solver) from exc
    status = prob.status
    if status not in ("optimal", "optimal_inaccurate") or y.value is None:
        raise SolverFailure(f"solver {solver} failed with status {status!r}", str(status), solver)
    return np.asarray(y.value, dtype=float), status


_LMI_ARRAYS = (
    "rows",
    "cols",
    "vals",
    "var",
    "crows",
    "ccols",
    "cvals",
    "nonneg",
    "depth",
    "obj_coords",
)
_WORKER_CODE = "import sys; from causalkit.solvers._sdp import _worker_main; _worker_main(sys.argv[1], sys.argv[2])"


def _solve_in_worker(
    lmi: LMI, solver: str, chordal_blocks: list[int] | None, verbose: bool
) -> tuple[np.ndarray, str]:
    """Run :func:`solve_lmi` in a fresh Python process; a dead worker becomes a :class:`SolverFailure`."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    if not sys.executable:
        raise SolverFailure(
            f"solver {solver}: no Python executable to start its worker process with",
            "no worker",
            solver,
        )
    tmp = Path(tempfile.mkdtemp(prefix="causalkit-sdp-"))
    try:
        inp, out = tmp / "lmi.npz", tmp / "result.npz"
        with open(inp, "wb") as fh:
            np.savez(
                fh,
                **{k: getattr(lmi, k) for k in _LMI_ARRAYS},
                D=lmi.D,
                n_var=lmi.n_var,
                obj_gain=lmi.obj_gain,
                norm=str(lmi.norm),
                blocks=np.asarray(chordal_blocks if chordal_blocks is not None else [], np.int64),
                has_blocks=chordal_blocks is not None,
                solver=solver,
                verbose=bool(verbose),
            )
        root = str(
            Path(__file__).resolve().parents[2]
        )  # the directory holding the causalkit package
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _WORKER_CODE, str(inp), str(out)],
                stdin=subprocess.DEVNULL,
                stdout=None if verbose else subprocess.DEVNULL,
                stderr=None if verbose else subprocess.PIPE,
                env=env,
                check=False,
            )
        except OSError as exc:
            raise SolverFailure(
                f"solver {solver}: could not start its worker process: {exc}", "no worker", solver
            ) from exc
        if not out.exists():
            err = (proc.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
            raise SolverFailure(
                f"solver {solver} ended its worker process (exit status {proc.returncode}) without an "
                f"answer{': ' + ' | '.join(err) if err else ''}",
                f"worker died (exit status {proc.returncode})",
                solver,
            )
        with np.load(out, allow_pickle=False) as res:
            if "error_status" in res:
                raise SolverFailure(str(res["error"]), str(res["error_status"]), solver)
            return np.asarray(res["y"], dtype=float), str(res["status"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _worker_main(inp: str, out: str) -> None:
    """Entry point of the worker process: solve the LMI stored in ``inp``, write ``out`` (npz, no pickles)."""
    global _IN_WORKER
    _IN_WORKER = True
    with np.load(inp, allow_pickle=False) as z:
        arrays = {k: z[k] for k in _LMI_ARRAYS}
        norm = str(z["norm"])
        lmi = LMI(
            int(z["D"]),
            arrays["rows"],
            arrays["cols"],
            arrays["vals"],
            arrays["var"],
            arrays["crows"],
            arrays["ccols"],
            arrays["cvals"],
            int(z["n_var"]),
            arrays["nonneg"],
            arrays["depth"],
            arrays["obj_coords"],
            float(z["obj_gain"]),
            2 if norm == "2" else norm,
        )
        blocks = [int(b) for b in z["blocks"]] if bool(z["has_blocks"]) else None
        solver, verbose = str(z["solver"]), bool(z["verbose"])
    try:
        y, status = solve_lmi(lmi, solver, blocks, verbose)
        result = {"y": y, "status": status}
    except SolverFailure as exc:
        result = {"error": str(exc), "error_status": exc.status}
    except Exception as exc:  # anything else the solver stack raises
        result = {"error": f"solver {solver} failed: {exc}", "error_status": f"error: {exc}"}
    part = out + ".part"
    with open(part, "wb") as fh:
        np.savez(fh, **result)
    os.replace(part, out)


@contextlib.contextmanager
def _quiet(active: bool):
    """Silence C-level solver chatter (SDPA writes to stdout/stderr directly)."""
    if not active:
        yield
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
    except (OSError, ValueError):  # no real file descriptors (e.g. some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _chordal_constraints(cp, lmi: LMI, y, blocks: list[int]) -> list:
    """Exact chordal decomposition of a block-tridiagonal M over consecutive block pairs."""
    offs = np.concatenate([[0], np.cumsum(blocks)])
    blk = np.searchsorted(offs, np.arange(lmi.D), side="right") - 1
    nb = len(blocks)
    rb, cb = blk[lmi.rows], blk[lmi.cols]
    crb, ccb = blk[lmi.crows], blk[lmi.ccols]
    if np.any(np.abs(rb - cb) > 1) or np.any(np.abs(crb - ccb) > 1):
        raise ValueError("chordal: the LMI is not block-tridiagonal")
    # an entry belongs to clique k (blocks k-1, k), k = 1..nb-1: off-diagonal pairs by max block, the diagonal
    # block j to clique max(j, 1)
    owner = np.maximum(np.maximum(rb, cb), 1)
    cowner = np.maximum(np.maximum(crb, ccb), 1)
    Ys = {j: cp.Variable((blocks[j], blocks[j]), symmetric=True) for j in range(1, nb - 1)}
    cons = []
    for k in range(1, nb):
        sel = np.arange(offs[k - 1], offs[k + 1])
        expr = _affine(cp, lmi, sel, y, keep=(owner == k, cowner == k))
        n1, n2 = blocks[k - 1], blocks[k]
        z12 = np.zeros((n1, n2))
        top = Ys[k - 1] if (k - 1) in Ys else np.zeros((n1, n1))
        bot = -Ys[k] if k in Ys else np.zeros((n2, n2))
        cons.append(expr + cp.bmat([[top, z12], [z12.T, bot]]) << 0)
    return cons


@dataclass
class SolveOutcome:
    rho: float  # certified (or raw if certify=False) value of ρ
    y: np.ndarray
    certified: bool
    status: str
    solver: str
    solve_time: float
    raw_rho: float
    # the formulation whose solve produced ``rho`` when it is not the requested one (the first-order solver
    # that could not improve, by more than FO_MIN_GAIN, on the "layer" or "eclipse_fast" bound it started from)
    method: str | None = None


def solve_and_certify(
    lmi: LMI,
    chain: list[str],
    certify: bool,
    chordal_blocks: list[int] | None = None,
    strict: bool = False,
    verbose: bool = False,
) -> SolveOutcome:
    """Try the solvers of ``chain`` until one gives a certified (or, with certify=False, any) answer.

    Raises SolverFailure when every solver fails (with the last status).  When a solver answers but its
    multipliers cannot be certified, the next solver is tried; if none certifies, the outcome is returned with
    ``certified=False`` (the caller then falls back to a coarser method).
    """
    last_fail: SolverFailure | None = None
    uncertified: SolveOutcome | None = None
    inaccurate: SolveOutcome | None = None
    t0 = time.perf_counter()
    for name in chain:
        try:
            y, status = solve_lmi(lmi, name, chordal_blocks, verbose)
        except SolverFailure as exc:
            last_fail = exc
            if strict:
                raise
            continue
        raw = float(y[0])
        if not certify:
            return SolveOutcome(raw, y, False, status, name, time.perf_counter() - t0, raw)
        got = certify_rho(lmi, y)
        if got is not None:
            rho, yy = got
            yy[0] = rho
            out = SolveOutcome(rho, yy, True, status, name, time.perf_counter() - t0, raw)
            if status == "optimal" or strict or rho <= max(raw, 0.0) * (1 + 1e-4) + 1e-12:
                return out
            # an inaccurate answer whose certificate is loose: keep it, but let the next solver try
            if inaccurate is None or out.rho < inaccurate.rho:
                inaccurate = out
            continue
        if uncertified is None:
            uncertified = SolveOutcome(
                raw, y, False, "uncertified", name, time.perf_counter() - t0, raw
            )
    if inaccurate is not None:
        inaccurate.solve_time = time.perf_counter() - t0
        return inaccurate
    if uncertified is not None:
        return uncertified
    assert last_fail is not None
    raise last_fail


# ----------------------------------------------------------------------------------------------------------
# a certified first-order solver: minimise the certification function itself


# the first-order solver computes all eigenpairs of the Schur complement up to this size, else only the top ones
FO_FULL_EIGH_MAX = 128
# smoothing weights below exp(-FO_EIG_WINDOW) (< 1e-12) are dropped: eigenvalues further than FO_EIG_WINDOW·t
# below the top do not enter the gradient
FO_EIG_WINDOW = 28.0


def _top_eigh(S: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The eigenpairs of ``S`` (ascending) that the smoothed objective at temperature ``t`` needs: all for small
    ``S``, else the top ones (LAPACK ``syevr`` on an index subset, doubled until the smallest computed eigenvalue
    is more than ``FO_EIG_WINDOW·t`` below the top; only the top one at ``t = 0``). Only the optimisation uses
    them: every bound is certified by :func:`certify_rho` from all eigenvalues in float64."""
    n = S.shape[0]
    if n <= FO_FULL_EIGH_MAX:
        return np.linalg.eigh(S)
    from scipy.linalg import eigh

    k = 1 if t <= 0 else min(n, 8)
    while True:
        if 2 * k >= n:
            return np.linalg.eigh(S)
        sig, U = eigh(S, subset_by_index=[n - k, n - 1], driver="evr", check_finite=False)
        if t <= 0 or sig[0] < sig[-1] - FO_EIG_WINDOW * t:
            return sig, U
        k *= 4


def _fo_eval(lmi: LMI, y: np.ndarray, t: float, P: np.ndarray, H: np.ndarray):
    """Smoothed ρ*(y) (log-sum-exp of the Schur complement's eigenvalues, temperature t) and its gradient."""
    from scipy.linalg import solve_triangular

    yy = y.copy()
    yy[0] = 0.0
    M0 = lmi.dense(yy)
    M0 = 0.5 * (M0 + M0.T)
    try:
        Lc = np.linalg.cholesky(-M0[np.ix_(H, H)])
    except np.linalg.LinAlgError:
        return None
    Z = solve_triangular(Lc, M0[np.ix_(H, P)], lower=True, check_finite=False)
    S = M0[np.ix_(P, P)] + Z.T @ Z
    sig, U = _top_eigh(0.5 * (S + S.T), t)
    top = sig[-1]
    if t > 0:
        e = np.exp((sig - top) / t)
        w = e / e.sum()
        f = top + t * np.log(e.sum())
    else:
        w = np.zeros_like(sig)
        w[-1] = 1.0
        f = top
    keep = w > 1e-12
    U, w = U[:, keep], w[keep]
    Xi = np.zeros((lmi.D, U.shape[1]))
    Xi[P] = U
    Xi[H] = solve_triangular(Lc.T, Z @ U, lower=False, check_finite=False)
    G = (Xi * w) @ Xi.T
    grad = np.bincount(lmi.var, lmi.vals * G[lmi.rows, lmi.cols], minlength=lmi.n_var)
    grad[0] = 0.0
    return f / lmi.obj_gain, grad / lmi.obj_gain


# (relative smoothing temperature, fraction of max_iter) per continuation stage
FO_SCHEDULE = ((1e-2, 0.25), (1e-3, 0.5), (1e-4, 1.0), (0.0, 1.0))


def solve_first_order(lmi: LMI, y0: np.ndarray, max_iter: int = 400) -> tuple[np.ndarray, str]:
    """Minimise the convex certification function ρ*(y) by L-BFGS-B with smoothing continuation.

    ``y0`` must be certified-feasible (e.g. the layer-SDP multipliers). Every iterate that is evaluated is a
    valid certificate, so the returned multipliers are sound whatever the accuracy of the optimisation.
    """
    from scipy.optimize import minimize

    P = lmi.obj_coords
    mask = np.ones(lmi.D, bool)
    mask[P] = False
    H = np.flatnonzero(mask)
    y = np.asarray(y0, dtype=float).copy()
    y[lmi.nonneg] = np.maximum(y[lmi.nonneg], 0.0)
    got = certify_rho(lmi, y)
    if got is None:
        raise SolverFailure(
            "first_order: the starting multipliers are not feasible",
            "infeasible_start",
            "FIRST_ORDER",
        )
    f_best, y = got
    y_best = y.copy()
    bounds = [(None, None)] + [(0.0, None) if nn else (None, None) for nn in lmi.nonneg[1:]]
    for rel_t, frac in FO_SCHEDULE:
        iters = max(1, int(frac * max_iter))
        t = rel_t * max(f_best, 1e-12) * lmi.obj_gain
        big = 10.0 * (1.0 + abs(f_best))

        def fun(x, t=t, big=big):
            out = _fo_eval(lmi, x, t, P, H)
            if out is None:
                return big, np.zeros_like(x)
            return out

        res = minimize(
            fun,
            y_best,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": iters, "ftol": 1e-12, "gtol": 1e-10, "maxcor": 20},
        )
        got = certify_rho(lmi, res.x)
        if got is not None and got[0] < f_best:
            f_best, y_best = got
    y_best = y_best.copy()
    y_best[0] = f_best
    return y_best, "optimal_inaccurate"
