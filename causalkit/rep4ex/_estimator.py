"""Rep4Ex: autoencoder with an MMR linear-invariance penalty, then control-function extrapolation."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._base import (
    check_1d,
    check_2d,
    check_consistent_length,
    check_feature_names,
    check_int,
    check_random_state,
    check_scalar_in_range,
    optional_import,
    pandas_like,
    resolve_device,
    root_seed,
    torch_threads,
    user_stacklevel,
)
from ._control import ControlFunctionExtrapolator, _check_actions

__all__ = ["Rep4Ex"]

_MAX_VAL_MMR = 1024
# below this mean off-diagonal kernel value the MMR penalty is numerically zero (bandwidth far too small)
_MIN_KERNEL_MASS = 1e-12
# batch_size="auto": smallest batch (>= 256) whose U-statistic has about this many kernel-weighted pairs,
# b (b - 1) * kernel_mass >= _EFF_PAIRS (256 rows with a 1-D uniform action; ~430 with a 2-D one)
_EFF_PAIRS = 15_000
_MIN_AUTO_BATCH = 256
_AUTO_STEPS = (
    1600  # 100 epochs of n = 4000 in batches of 256: the budget the defaults were tuned for
)


def _min_batch(bs: int) -> int:
    """Smallest allowed last mini-batch: a shorter remainder is merged into the previous batch."""
    return max(2, bs // 4)


def _n_batches(n: int, bs: int) -> int:
    """Number of mini-batches :func:`_make_batches` makes of ``n`` rows with batch size ``bs``."""
    n_b = -(-n // bs)
    if n_b > 1 and 0 < n % bs < _min_batch(bs):
        n_b -= 1
    return n_b


def _make_batches(perm, bs: int) -> list:
    """Split a permutation of the row ids into mini-batches; every row appears exactly once.

    A short last batch (fewer than ``max(2, bs // 4)`` rows) is appended to the one before it.
    """
    import torch

    batches = list(torch.split(perm, bs))
    if len(batches) > 1 and batches[-1].shape[0] < _min_batch(bs):
        last = batches.pop()
        batches[-1] = torch.cat([batches[-1], last])
    return batches


def _local_random_state(random_state: Any) -> np.random.RandomState:
    """A RandomState for ``random_state`` that never draws from numpy's global RNG.

    ``None``, ints and RandomState instances go through :func:`causalkit._base.check_random_state` (``None``
    gets a fresh OS-entropy seed, never numpy's global RNG); a numpy ``Generator`` contributes one draw as the
    seed (TODO(#13): ``_base.check_random_state`` does not accept Generators yet; drop this branch once it does).
    """
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(0, 2**32)))
    return check_random_state(random_state, "random_state")


def _robust_moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations computed on ``X / max|X|``: no overflow or underflow for any
    finite magnitude (``X * 1e200`` overflowed ``X.std``, ``X * 1e-300`` underflowed it to 0)."""
    m = np.max(np.abs(X), axis=0, initial=0.0)
    if np.all((m == 0) | ((m >= 1e-100) & (m <= 1e100))):  # ordinary magnitudes: the plain moments
        return X.mean(axis=0), X.std(axis=0)
    m = np.where(m > 0, m, 1.0)
    Xn = X / m
    return Xn.mean(axis=0) * m, Xn.std(axis=0) * m


def _check_int_or_auto(value: Any, name: str, low: int) -> None:
    """``"auto"`` or an integer >= ``low`` (:func:`causalkit._base.check_int`)."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or an integer >= {low}; got {value!r}.")
        return
    check_int(value, name, low=low)


# fitted network attribute -> the constructor parameter that, when None, means the default MLP
_NETWORKS = (("encoder_", "encoder"), ("decoder_", "decoder"))


def _rebuild_mlp(weights: dict) -> Any:
    """The default MLP (:func:`._torch.build_mlp`) with the given ``state_dict`` arrays, in eval mode.

    The widths are read from the weight shapes (so a later ``set_params(hidden=...)`` cannot break loading);
    the build runs inside ``fork_rng`` so that loading never moves the caller's torch RNG.
    """
    torch = optional_import("torch")
    from . import _torch as T

    layers = sorted(int(key.split(".")[0]) for key in weights if key.endswith(".weight"))
    shapes = [np.shape(weights[f"{i}.weight"]) for i in layers]
    if not shapes or layers != list(range(0, 2 * len(shapes), 2)):
        raise ValueError(f"not the state of a Rep4Ex default network: keys {sorted(weights)}")
    with torch.random.fork_rng(devices=[]):
        net = T.build_mlp(shapes[0][1], [s[0] for s in shapes[:-1]], shapes[-1][0])
    net.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in weights.items()})
    return net.eval()


class Rep4Ex(BaseEstimator):
    """Identifiable representations for intervention extrapolation (Rep4Ex).

    Model: ``Y = l(Z) + U``, ``Z = M A + V``, ``X = g(Z)`` with ``g`` injective and nonlinear, exogenous actions
    ``A`` (``A`` independent of ``V``; ``U`` may depend on ``V``). Rep4Ex learns an encoder ``phi`` of ``X`` that
    is affine in ``Z`` by training an autoencoder with a maximum-moment-restriction (MMR) penalty enforcing the
    linear invariance ``E[phi(X) - alpha - M A | A] = 0``, then runs the control-function stage
    (:class:`ControlFunctionExtrapolator`) on the code ``phi(X)`` to estimate ``E[Y | do(A = a)]`` also for
    actions ``a`` outside the training support (Saengkyongam et al., ICLR 2024).

    Parameters
    ----------
    latent_dim : int or None, default None
        Dimension ``d`` of the code; defaults to the number of actions ``k``. ``d > k`` raises (not identified).
    hidden : sequence of int, default (64, 64)
        Hidden widths of the default encoder and decoder (leaky-ReLU MLPs).
    encoder, decoder : torch.nn.Module or None, default None
        Custom (unfitted) networks ``R^m -> R^d`` and ``R^d -> R^m``; they are deep-copied in ``fit``.
        Inputs are the standardised ``X``.
    mmr_weight : float, default 2.4
        Weight ``lambda`` of the MMR penalty (``0`` gives a plain autoencoder, the no-MMR baseline). The
        training penalty is the MMR U-statistic divided by ``kernel_mass_`` (the mean off-diagonal kernel value
        on ``A``), so the weight means the same for any action dimension and bandwidth; 2.4 equals the raw
        weight 10 on a 1-D uniform action.
    bandwidth : "median" or float, default "median"
        Gaussian-kernel bandwidth on ``A``: the median heuristic ``sqrt(0.5 median ||a - a'||^2)`` times
        ``bandwidth_scale / sqrt(k)`` (the median distance grows like ``sqrt(k)``; this keeps the per-coordinate
        resolution), or a given positive number (used as is).
    bandwidth_scale : float, default 0.5
        Factor applied to the median heuristic.
    mmr_statistic : {"u", "v"}, default "u"
        U-statistic (recommended: the V-statistic's diagonal penalises the residual variation the code needs).
    standardize_code : bool, default True
        Standardise the code per batch before the in-batch OLS (prevents shrinking the code to zero).
    max_epochs : int or "auto", default "auto"
        Training epochs. ``"auto"`` gives about 1600 Adam steps (100 epochs at n = 4000 with batches of 256;
        4 epochs at n = 10^5): the budget is fixed in gradient steps because much longer training drifts away
        from an affine code, so larger data sets take fewer epochs.
    batch_size : int or "auto", default "auto"
        Mini-batch size; the MMR cost is per batch, so an epoch is linear in ``n``. ``"auto"``: the smallest
        size >= 256 with about 15000 kernel-weighted pairs, ``b (b - 1) kernel_mass_ >= 15000`` (256 for a 1-D
        uniform action, about 430 for a 2-D one): the in-batch U-statistic's noise then does not grow with ``k``.
    lr : float, default 1e-3
        Adam learning rate.
    n_init : int, default 1
        Number of trainings from different initialisations; the one with the lowest objective on the data
        (reconstruction + ``mmr_weight`` x normalised MMR, on at most 4096 rows) is kept. Training can end in a
        non-affine local optimum (seen with 2-D actions: a code with R² ~ 0.9 and twice the reconstruction error);
        restarts select it away at ``n_init`` times the cost.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the data, monitor reconstruction + ``mmr_weight`` x MMR on it, stop
        after ``n_iter_no_change`` epochs without improvement and restore the best weights. The held-out rows
        are still used in the control-function stage.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10
    outcome_model, n_knots, support_tol
        Passed to :class:`ControlFunctionExtrapolator` (the second stage).
    ridge_alpha : float, default 1.0
        Ridge penalty of the second stage's spline fit (its own default is 0.1). A learned code is affine only up
        to a small distortion that grows in the tails; a stronger ridge keeps the linearly extrapolated splines
        from amplifying it (2-D: outside MSE with the same code 1.32 -> 0.67 on the worst seed).
    device : str, default "cpu"
        torch device for training (e.g. "cuda"); the fitted networks are moved back to the CPU.
    n_threads : int or None, default 1
        torch CPU threads during ``fit`` (restored afterwards); tiny networks run fastest on one thread.
    random_state : int, RandomState, Generator or None, default None
        Seeds initialisation, shuffling and subsampling. Fitting never reads or changes the global numpy or
        torch RNG states (torch is seeded inside ``torch.random.fork_rng``); None draws a fresh OS seed.
    verbose : bool, default False
        Progress bar over epochs.

    Attributes
    ----------
    encoder_, decoder_ : torch.nn.Sequential
        The fitted networks (on the CPU, eval mode), acting on standardised ``X`` (``(X - x_mean_) / x_scale_``).
    x_mean_, x_scale_ : ndarray of shape (m,)
    bandwidth_ : float
        The kernel bandwidth used.
    init_objectives_ : ndarray of shape (n_init,) or None
        Final objective of each initialisation (``None`` when ``n_init == 1``).
    kernel_mass_ : float
        Mean off-diagonal kernel value on ``A`` (the MMR penalty's normaliser).
    batch_size_ : int
        The mini-batch size used.
    coef_A_, intercept_A_, residuals_V_ : ndarray
        Stage-1 OLS of the code on ``A`` (``M_hat``, ``alpha_hat``, ``V_hat``).
    control_function_ : ControlFunctionExtrapolator
        The fitted second stage.
    outcome_model_ : sklearn estimator
        Its fitted outcome regression.
    history_ : dict of lists
        Per epoch: ``loss``, ``reconstruction``, ``mmr`` (training means) and, with early stopping,
        ``val_loss``.
    n_epochs_ : int
        Epochs run.
    n_features_in_ : int
        Dimension of ``X``.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame ``X`` (only then); later DataFrames must have the same columns in the
        same order.

    Notes
    -----
    No intervals yet (no ``inference_``, ``summary`` or ``conf_int``); see #17.

    Pickling and :mod:`skops.io` store the default networks as their ``state_dict`` (numpy arrays) and rebuild
    them from the constructor parameters on loading; custom ``encoder``/``decoder`` modules are stored as
    modules (pickle only).

    Examples
    --------
    >>> from causalkit.datasets import make_rep4ex_1d
    >>> d = make_rep4ex_1d(500, random_state=0)
    >>> est = Rep4Ex(max_epochs=2, random_state=0).fit(d.Y, d.A, X=d.X)
    >>> est.transform(d.X).shape, est.predict_intervention([-1.5, 1.5]).shape
    ((500, 1), (2,))
    """

    def __init__(
        self,
        latent_dim: int | None = None,
        *,
        hidden: Sequence[int] = (64, 64),
        encoder: Any = None,
        decoder: Any = None,
        mmr_weight: float = 2.4,
        bandwidth: str | float = "median",
        bandwidth_scale: float = 0.5,
        mmr_statistic: str = "u",
        standardize_code: bool = True,
        max_epochs: int | str = "auto",
        batch_size: int | str = "auto",
        lr: float = 1e-3,
        n_init: int = 1,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        outcome_model: str = "spline",
        n_knots: int = 12,
        ridge_alpha: float = 1.0,
        support_tol: float = 0.2,
        device: str = "cpu",
        n_threads: int | None = 1,
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.encoder = encoder
        self.decoder = decoder
        self.mmr_weight = mmr_weight
        self.bandwidth = bandwidth
        self.bandwidth_scale = bandwidth_scale
        self.mmr_statistic = mmr_statistic
        self.standardize_code = standardize_code
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.n_init = n_init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.outcome_model = outcome_model
        self.n_knots = n_knots
        self.ridge_alpha = ridge_alpha
        self.support_tol = support_tol
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _validate(self, X: Any, A: Any, Y: Any):
        X, names = check_2d(X, "X", min_samples=2, return_names=True)
        A = _check_actions(A, "A")
        # the networks and the MMR penalty work in float32 (7 digits): an action that varies by less than 1e-4
        # of its magnitude (a large offset) is constant there, and the fit would learn nothing from it
        offset = np.flatnonzero(A.std(axis=0) < 1e-4 * np.abs(A).max(axis=0))
        if offset.size:
            raise ValueError(
                f"A column(s) {offset.tolist()} vary by less than 1e-4 of their magnitude, below the float32 "
                "resolution of the networks; subtract the mean first (A - A.mean(axis=0))."
            )
        Y = check_1d(Y, "Y")
        check_consistent_length(X=X, A=A, Y=Y)
        k = A.shape[1]
        d = k if self.latent_dim is None else check_int(self.latent_dim, "latent_dim", low=1)
        if d > k:
            raise ValueError(
                f"latent_dim={d} exceeds the dimension of A ({k}): the representation is identified only "
                "when there are at least as many actions as latent dimensions (M of full row rank)."
            )
        if _robust_moments(X)[1].max() <= 0:
            raise ValueError("X must vary: every column is constant.")
        check_scalar_in_range(self.mmr_weight, "mmr_weight", low=0.0)
        check_scalar_in_range(self.bandwidth_scale, "bandwidth_scale", low=0.0, low_inclusive=False)
        if isinstance(self.bandwidth, str):
            if self.bandwidth != "median":
                raise ValueError(
                    f"bandwidth must be 'median' or a positive number; got {self.bandwidth!r}."
                )
        else:
            check_scalar_in_range(self.bandwidth, "bandwidth", low=0.0, low_inclusive=False)
        if self.mmr_statistic not in ("u", "v"):
            raise ValueError(f"mmr_statistic must be 'u' or 'v'; got {self.mmr_statistic!r}.")
        _check_int_or_auto(self.max_epochs, "max_epochs", 1)
        _check_int_or_auto(self.batch_size, "batch_size", 2)
        check_scalar_in_range(self.lr, "lr", low=0.0, low_inclusive=False)
        check_scalar_in_range(
            self.validation_fraction,
            "validation_fraction",
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_int(self.n_init, "n_init", low=1)
        check_int(self.n_threads, "n_threads", low=1, allow_none=True)
        hidden = tuple(self.hidden) if self.hidden is not None else ()
        for h in hidden:
            check_int(h, "hidden (each width)", low=1)
        return X, A, Y, d, hidden, names

    def _second_stage(self) -> ControlFunctionExtrapolator:
        return ControlFunctionExtrapolator(
            outcome_model=self.outcome_model,
            n_knots=self.n_knots,
            ridge_alpha=self.ridge_alpha,
            support_tol=self.support_tol,
        )

    # ------------------------------------------------------------------ fit
    def fit(self, Y: Any, A: Any, *, X: Any) -> Rep4Ex:
        """Train the encoder/decoder with the MMR penalty, then fit the control-function stage on the code.

        Parameters
        ----------
        Y : array-like of shape (n,)
            Outcome.
        A : array-like of shape (n, k) or (n,)
            Exogenous actions (non-constant, full column rank).
        X : array-like of shape (n, m), keyword-only
            High-dimensional observations ``g(Z)``.

        Returns
        -------
        self
        """
        X, A, Y, d, hidden, names = self._validate(X, A, Y)
        n_init = int(self.n_init)
        self._second_stage()._validate_params()  # fail before training on bad stage-2 parameters
        torch = optional_import("torch")
        from . import _torch as T

        try:
            device = resolve_device(self.device)
        except RuntimeError as exc:  # torch's message for an unknown device string
            raise ValueError(f"device={self.device!r} is not a valid torch device: {exc}") from None
        rng = _local_random_state(self.random_state)
        seed = root_seed(rng)
        n, m = X.shape

        # moments of X / max|X| rescaled: exact for any finite magnitude (X * 1e200 overflowed X.std)
        self.x_mean_, scale = _robust_moments(X)
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        Xs = (X - self.x_mean_) / self.x_scale_
        k = A.shape[1]
        if self.bandwidth == "median":
            # per-coordinate resolution: the median distance grows like sqrt(k), so divide by sqrt(k)
            self.bandwidth_ = float(self.bandwidth_scale) * T.median_bandwidth(A, rng) / np.sqrt(k)
        else:
            self.bandwidth_ = float(self.bandwidth)
        with np.errstate(over="ignore", under="ignore"):
            two_s2 = 2.0 * np.float64(self.bandwidth_) ** 2
        if not np.isfinite(two_s2):
            raise ValueError(
                f"bandwidth={self.bandwidth_:.3g} is too large: its square overflows double precision."
            )
        # average off-diagonal kernel value: the raw U-statistic scales with it (it falls fast with k and
        # with smaller bandwidths), so the training penalty is divided by it
        self.kernel_mass_ = T.kernel_mass(A, self.bandwidth_, rng)
        if not self.kernel_mass_ > _MIN_KERNEL_MASS:
            raise ValueError(
                f"bandwidth={self.bandwidth_:.3g} is too small for the spread of A: the kernel between distinct "
                f"actions is numerically zero (mean off-diagonal value {self.kernel_mass_:.3g}), so the MMR "
                "penalty has nothing to enforce; use a larger bandwidth (or bandwidth='median')."
            )

        if self.early_stopping:
            perm = rng.permutation(n)
            n_val = max(2, round(self.validation_fraction * n))
            val_idx, tr_idx = perm[:n_val], perm[n_val:]
        else:
            tr_idx, val_idx = np.arange(n), None

        with torch_threads(self.n_threads):
            best = None
            objectives = []
            for init in range(n_init):
                with T.local_torch_rng(seed + init, device) as gen:
                    enc, dec = self._build_networks(T, m, d, hidden)
                    self._train(torch, T, enc, dec, Xs, A, tr_idx, val_idx, device, gen)
                enc, dec = enc.cpu().eval(), dec.cpu().eval()
                if n_init > 1:
                    objectives.append(self._objective(torch, T, enc, dec, Xs, A))
                    if best is None or objectives[-1] < best[0]:
                        best = (objectives[-1], enc, dec, self.history_, self.n_epochs_)
            if best is not None:
                _, enc, dec, self.history_, self.n_epochs_ = best
            self.init_objectives_ = np.array(objectives) if n_init > 1 else None

        self.encoder_ = enc
        self.decoder_ = dec
        self.n_features_in_ = m
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_latent_ = d
        code = self._encode(Xs)
        if not np.all(np.isfinite(code)):
            raise ValueError(
                f"Rep4Ex training diverged: the learned code is not finite (lr={self.lr}, "
                f"mmr_weight={self.mmr_weight}); lower lr or mmr_weight."
            )
        self.control_function_ = self._second_stage().fit(Y, A, Z=code)
        self.coef_A_ = self.control_function_.coef_A_
        self.intercept_A_ = self.control_function_.intercept_A_
        self.residuals_V_ = self.control_function_.residuals_V_
        self.outcome_model_ = self.control_function_.outcome_model_
        return self

    def _objective(self, torch, T, enc, dec, Xs, A, max_rows: int = 4096) -> float:
        """Training objective on the data: reconstruction + mmr_weight * MMR / kernel_mass_ (no gradient)."""
        with torch.no_grad():
            Xt = torch.as_tensor(Xs, dtype=torch.float32)
            code = enc(Xt)
            rec = float(torch.mean((dec(code) - Xt) ** 2))
            At = torch.as_tensor(A[:max_rows], dtype=torch.float32)
            mmr = T.mmr_penalty(
                code[:max_rows],
                At,
                T.gaussian_gram(At, self.bandwidth_),
                statistic=self.mmr_statistic,
                standardize=bool(self.standardize_code),
            )
        return rec + float(self.mmr_weight) * float(mmr) / self.kernel_mass_

    def _build_networks(self, T, m: int, d: int, hidden: tuple[int, ...]):
        torch = T.torch
        if self.encoder is None:
            enc = T.build_mlp(m, hidden, d)
        else:
            enc = copy.deepcopy(self.encoder)
        if self.decoder is None:
            dec = T.build_mlp(d, hidden[::-1], m)
        else:
            dec = copy.deepcopy(self.decoder)
        for name, net in (("encoder", enc), ("decoder", dec)):
            if not isinstance(net, torch.nn.Module):
                raise TypeError(
                    f"{name} must be a torch.nn.Module or None; got {type(net).__name__}."
                )
        enc, dec = enc.float(), dec.float()
        with torch.no_grad():
            try:
                out = enc(torch.zeros(2, m))
            except Exception as exc:  # the user's network does not accept the input
                raise ValueError(
                    f"encoder must map inputs of width {m} (X); it raised: {exc}"
                ) from exc
            if out.ndim != 2 or out.shape[1] != d:
                raise ValueError(
                    f"encoder must output shape (batch, latent_dim={d}); got {tuple(out.shape)}."
                )
            try:
                back = dec(out)
            except Exception as exc:
                raise ValueError(f"decoder must map inputs of width {d}; it raised: {exc}") from exc
            if back.ndim != 2 or back.shape[1] != m:
                raise ValueError(
                    f"decoder must output shape (batch, {m}) (the width of X); got {tuple(back.shape)}."
                )
        return enc, dec

    def _train(self, torch, T, enc, dec, Xs, A, tr_idx, val_idx, device, gen) -> None:
        from tqdm.auto import tqdm

        enc.to(device).train()
        dec.to(device).train()
        Xt = torch.tensor(Xs, dtype=torch.float32, device=device)
        At = torch.tensor(A, dtype=torch.float32, device=device)
        lam = float(self.mmr_weight) / self.kernel_mass_
        sigma = self.bandwidth_
        stat = self.mmr_statistic
        std_code = bool(self.standardize_code)
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=float(self.lr))
        tr = torch.as_tensor(tr_idx, dtype=torch.long)
        if self.batch_size == "auto":
            b_auto = int(np.ceil(0.5 + np.sqrt(0.25 + _EFF_PAIRS / self.kernel_mass_)))
            bs = min(max(_MIN_AUTO_BATCH, b_auto), tr.shape[0])
        else:
            bs = min(int(self.batch_size), tr.shape[0])
        self.batch_size_ = int(bs)
        history: dict[str, list[float]] = {"loss": [], "reconstruction": [], "mmr": []}

        if val_idx is not None:
            history["val_loss"] = []
            vi = torch.as_tensor(val_idx[:_MAX_VAL_MMR], dtype=torch.long, device=device)
            Xv, Av = Xt[torch.as_tensor(val_idx, dtype=torch.long, device=device)], At[vi]
            Kv = T.gaussian_gram(Av, sigma)
            best, best_state, stale = np.inf, None, 0

        if self.max_epochs == "auto":
            steps_per_epoch = _n_batches(tr.shape[0], bs)  # a short last batch is merged
            max_epochs = max(1, -(-_AUTO_STEPS // steps_per_epoch))
        else:
            max_epochs = int(self.max_epochs)
        bar = tqdm(range(max_epochs), desc="Rep4Ex", disable=not self.verbose)
        epochs = 0
        for _ in bar:
            perm = tr[torch.randperm(tr.shape[0], generator=gen)]
            batches = _make_batches(perm, bs)
            sums = np.zeros(3)
            for idx in batches:
                idx = idx.to(device)
                xb, ab = Xt[idx], At[idx]
                code = enc(xb)
                rec = torch.mean((dec(code) - xb) ** 2)
                if xb.shape[0] >= 2:
                    mmr = T.mmr_penalty(
                        code, ab, T.gaussian_gram(ab, sigma), statistic=stat, standardize=std_code
                    )
                else:
                    mmr = torch.zeros((), device=device)
                loss = rec + lam * mmr if lam > 0 else rec
                opt.zero_grad()
                loss.backward()
                opt.step()
                sums += [loss.item(), rec.item(), mmr.item()]
            sums /= len(batches)
            if not np.all(np.isfinite(sums)):
                raise ValueError(
                    f"Rep4Ex training diverged: non-finite loss in epoch {epochs + 1} (lr={self.lr}, "
                    f"mmr_weight={self.mmr_weight}); lower lr or mmr_weight."
                )
            history["loss"].append(float(sums[0]))
            history["reconstruction"].append(float(sums[1]))
            history["mmr"].append(float(sums[2]))
            epochs += 1
            postfix = {"rec": f"{sums[1]:.4f}", "mmr": f"{sums[2]:.2e}"}
            if val_idx is not None:
                with torch.no_grad():
                    cv = enc(Xv)
                    v_rec = torch.mean((dec(cv) - Xv) ** 2)
                    v_mmr = T.mmr_penalty(
                        cv[: Av.shape[0]], Av, Kv, statistic=stat, standardize=std_code
                    )
                    v_loss = float(v_rec + lam * v_mmr)
                history["val_loss"].append(v_loss)
                postfix["val"] = f"{v_loss:.4f}"
                if v_loss < best:
                    best, stale = v_loss, 0
                    best_state = (copy.deepcopy(enc.state_dict()), copy.deepcopy(dec.state_dict()))
                else:
                    stale += 1
                    if stale >= int(self.n_iter_no_change):
                        break
            bar.set_postfix(postfix)
        bar.close()
        if val_idx is not None and best_state is not None:
            enc.load_state_dict(best_state[0])
            dec.load_state_dict(best_state[1])
        self.history_ = history
        self.n_epochs_ = epochs

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict:
        """The state with each default network (``encoder``/``decoder`` None) as its ``state_dict`` in numpy.

        skops cannot store torch modules; numpy arrays it stores without any extra trusted type. Custom networks
        stay modules (pickle stores them; skops refuses them).
        """
        state = dict(
            super().__getstate__()
        )  # object.__getstate__ returns __dict__ itself, not a copy
        for attr, param in _NETWORKS:
            net = state.get(attr)
            if net is not None and getattr(self, param, None) is None:
                state[attr] = None
                state[f"_{attr}weights"] = {
                    key: value.detach().cpu().numpy().copy()
                    for key, value in net.state_dict().items()
                }
        return state

    def __setstate__(self, state: dict) -> None:
        """Rebuild the default networks stored by :meth:`__getstate__` and load their weights (exactly)."""
        state = dict(state)
        weights = {attr: state.pop(f"_{attr}weights", None) for attr, _ in _NETWORKS}
        super().__setstate__(state)
        for attr, arrays in weights.items():
            if arrays is not None:
                setattr(self, attr, _rebuild_mlp(arrays))

    # ------------------------------------------------------------------ transform / predict
    def _encode(self, Xs: np.ndarray) -> np.ndarray:
        torch = optional_import("torch")
        with np.errstate(over="ignore"):
            xs32 = np.asarray(Xs, dtype=np.float32)
        if not np.all(np.isfinite(xs32)):
            raise ValueError(
                "X lies too far outside the range seen in fit: after standardising with the training scale "
                f"its values (up to {float(np.max(np.abs(Xs))):.3g}) overflow the networks' float32."
            )
        with torch.no_grad():
            out = self.encoder_(torch.from_numpy(xs32))
        out = out.numpy().astype(np.float64)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                "the encoder returned non-finite values for X (inputs far outside the range seen in fit)."
            )
        return out

    def _check_X(self, X: Any) -> np.ndarray:
        """``X`` at transform/predict time: the width seen in fit, and the column names seen in fit.

        A DataFrame with other names or another order is refused; names on one side only (fit on a DataFrame,
        an array now, or the reverse) give a :class:`~causalkit.exceptions.FeatureNamesWarning` at the user's line.
        """
        check_is_fitted(self, "encoder_")
        arr = check_2d(X, "X")
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} feature(s); the estimator was fitted with {self.n_features_in_}."
            )
        check_feature_names(self, X, argument="X", stacklevel=user_stacklevel())
        return arr

    def _code(self, X: Any) -> np.ndarray:
        X = self._check_X(X)
        return self._encode((X - self.x_mean_) / self.x_scale_)

    def transform(self, X: Any) -> np.ndarray | pd.DataFrame:
        """The learned code ``phi(X)`` (affine in the latent ``Z`` when identification succeeded).

        Returns
        -------
        ndarray of shape (n, latent_dim), or a DataFrame (columns ``code0, code1, ...``) with the index of a
        DataFrame ``X``.
        """
        code = self._code(X)
        return pandas_like(code, X, columns=[f"code{j}" for j in range(code.shape[1])])

    def reconstruct(self, X: Any) -> np.ndarray | pd.DataFrame:
        """``decoder(encoder(X))`` on the original scale of ``X``."""
        torch = optional_import("torch")
        code = torch.as_tensor(self._code(X), dtype=torch.float32)
        with torch.no_grad():
            back = self.decoder_(code).numpy().astype(np.float64)
        out = back * self.x_scale_ + self.x_mean_
        return pandas_like(out, X, columns=getattr(self, "feature_names_in_", None))

    def predict_intervention(self, a_values: Any) -> np.ndarray:
        """Estimated ``E[Y | do(A = a)]`` for each row of ``a_values`` ((m, k), or (m,) when k == 1)."""
        check_is_fitted(self, "control_function_")
        return self.control_function_.predict_intervention(a_values)

    def predict_conditional_intervention(self, X: Any, a_values: Any) -> np.ndarray:
        """Estimated ``E[Y | X = x, do(A = a)]``; returns shape (n_x, m)."""
        return self.control_function_.predict_conditional_intervention(self._code(X), a_values)

    def support_fraction(self, a_values: Any) -> np.ndarray:
        """Fraction of shifted residuals outside the observed code range, per intervention value."""
        check_is_fitted(self, "control_function_")
        return self.control_function_.support_fraction(a_values)

    def predict(self, X: Any, A: Any) -> np.ndarray | pd.Series:
        """Fitted observational mean ``E[Y | X, A]`` of the additive stage-2 model."""
        return pandas_like(self.control_function_.predict(self._code(X), A), X, name="prediction")

    def score(self, X: Any, A: Any, Y: Any) -> float:
        """R² of :meth:`predict` against ``Y``."""
        return self.control_function_.score(self._code(X), A, Y)

    def mmr_score(self, X: Any, A: Any, *, max_samples: int = 4000) -> float:
        """MMR U/V-statistic of the linear-invariance restriction for the learned code on ``(X, A)``.

        A diagnostic: close to 0 when the code satisfies the restriction. Uses the fitted bandwidth, at most
        ``max_samples`` rows (the first ones), and the estimator's ``mmr_statistic``/``standardize_code``.
        """
        torch = optional_import("torch")
        from . import _torch as T

        X = self._check_X(X)
        A = check_2d(A, "A", ensure_2d_from_1d=True)
        check_consistent_length(X=X, A=A)
        if min(X.shape[0], int(max_samples)) < 2:
            raise ValueError(
                f"mmr_score needs at least 2 rows (pairs of actions); got {min(X.shape[0], int(max_samples))}."
            )
        Xs = (X[:max_samples] - self.x_mean_) / self.x_scale_
        code = torch.as_tensor(self._encode(Xs), dtype=torch.float64)
        At = torch.tensor(A[:max_samples], dtype=torch.float64)
        with torch.no_grad():
            val = T.mmr_penalty(
                code,
                At,
                T.gaussian_gram(At, self.bandwidth_),
                statistic=self.mmr_statistic,
                standardize=bool(self.standardize_code),
            )
        return float(val)
