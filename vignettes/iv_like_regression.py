# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # IV-like regression: data augmentation as a soft intervention
#
# Akbar et al. (NeurIPS 2025) observe that an **outcome-invariant** data augmentation, a random transformation
# `x -> g x` with `f(g x) = f(x)`, acts on the regressors like a soft intervention: its random parameter `G` is
# independent of the hidden confounder, moves `X`, and does not move `Y` other than through `f`. So `G` is a
# valid instrument, but usually a weak and *under-identifying* one (fewer parameters than regressors).
#
# - **ERM**: least squares of `y` on `X`, biased by the confounder.
# - **DA+ERM**: least squares on the augmented `GX`: the augmentation dilutes the confounded variation.
# - **DA+IVL**: `min ||P_G(y - GX b)||^2 + ivl_alpha ||y - GX b||^2`, IV regression regularised by the ERM
#   risk (the paper's alpha; in causalkit `alpha` is only ever the CI level of `summary`/`conf_int`). It is the
#   k-class estimator with `kappa = 1/(1+ivl_alpha)` and behaves like DA with the augmentation strength
#   amplified by `sqrt(1 + 1/ivl_alpha)`.
#
# Neither removes bias along directions the augmentation does not perturb: this is causal *regularisation*.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from causalkit.datasets import make_ivl_paper_sem, make_ivl_toy_sem
from causalkit.iv import (
    DAIVLRegression,
    IVLRegression,
    IVLRegressionCV,
    KClassRegression,
    NullSpaceTranslation,
)

FAST = "1" in (
    os.environ.get("CAUSALKIT_VIGNETTE_FAST", ""),
    os.environ.get("CAUSALKIT_iv_like_regression.py_FAST", ""),
)
N_SEMS = 6 if FAST else 24
DIM = 16 if FAST else 32

# %% [markdown]
# ## A 5-dimensional example with known answers
#
# `X = C + noise`, `Y = X f + C b + noise` with hidden `C`; `f = (1, 2, -1, 0.5, 0)`. The augmentation adds
# `G B` where `B` spans the complement of `f` (so `X f` is unchanged). The population squared coefficient errors
# are ERM 1.25, DA+ERM 0.694, IVL(1) 0.5, IVL(0.1) 0.274, IVL(0+) 0.25.

# %%
d = make_ivl_toy_sem(5000, random_state=0)
aug = NullSpaceTranslation(d.directions, strength=1.0)


def sq_err(h):
    return float(np.sum((h - d.coef) ** 2))


rows = {
    "ERM (OLS on X)": IVLRegression(ivl_alpha=np.inf).fit(d.X, d.y, instruments=d.G).coef_,
    "DA+ERM (OLS on GX)": IVLRegression(ivl_alpha=np.inf).fit(d.X_aug, d.y, instruments=d.G).coef_,
    "DA+IVL ivl_alpha=1": DAIVLRegression(ivl_alpha=1.0)
    .fit(d.X, d.y, augmentations=(d.X_aug, d.G))
    .coef_,
    "DA+IVL ivl_alpha=0.1": DAIVLRegression(ivl_alpha=0.1)
    .fit(d.X, d.y, augmentations=(d.X_aug, d.G))
    .coef_,
}
for name, h in rows.items():
    print(f"{name:22s} |h - f|^2 = {sq_err(h):.3f}")

# %% [markdown]
# `ivl_alpha = 0` is the IV limit. With 4 instruments for 5 regressors the IV problem is under-identified, and a
# pseudo-inverse 2SLS returns the minimum-norm solution, which deletes the component along `f` (error about 6).
# `IVLRegression(ivl_alpha=0)` instead returns the `ivl_alpha -> 0+` limit (least squares subject to the IV normal
# equations) and says so.

# %%
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    h0 = IVLRegression(ivl_alpha=0).fit(d.X_aug, d.y, instruments=d.G).coef_
print(caught[0].message)
Gc, Xc, yc = d.G - d.G.mean(0), d.X_aug - d.X_aug.mean(0), d.y - d.y.mean()
Xhat = Gc @ np.linalg.lstsq(Gc, Xc, rcond=None)[0]
print(
    f"ivl_alpha -> 0+ limit: {sq_err(h0):.3f};  min-norm 2SLS: {sq_err(np.linalg.pinv(Xhat) @ yc):.3f}"
)

# %% [markdown]
# Inference comes with the fit: heteroskedasticity-robust standard errors of the k-class sandwich and
# first-stage diagnostics of `GX` on `G` (weak by design here: the augmentation only moves four directions).
# `inference_` holds them; `summary(alpha=...)` and `conf_int(alpha=...)` read it (here `alpha` is the CI level).

# %%
fit = IVLRegression(ivl_alpha=0.1).fit(d.X_aug, d.y, instruments=d.G)
print(fit.summary())
print(fit.conf_int(alpha=0.1))  # 90% intervals, one row per term

# %% [markdown]
# ## The paper's linear SEM: error as ivl_alpha varies
#
# `d`-dimensional confounded SEM with random loadings (the paper's simulation), translations in the null space
# of `f`, error measured by the normalised causal excess risk `nCER = |h - f|^2 / (|h - f|^2 + |f|^2)`
# (0 for the truth, 0.5 for `h = 0`). We average over several random SEMs.

# %%
alphas = np.logspace(-4, 2, 13)
res = {"ERM": [], "DA+ERM": [], "DA+IVL": [], "DA+IVL-CV": [], "2SLS min-norm": []}
for seed in range(N_SEMS):
    s = make_ivl_paper_sem(2048, DIM, confounding=1.0, strength=1.0, random_state=seed)
    res["ERM"].append(
        s.ncer(IVLRegression(ivl_alpha=np.inf, cov_type=None).fit(s.X, s.y, instruments=s.G).coef_)
    )
    res["DA+ERM"].append(
        s.ncer(
            IVLRegression(ivl_alpha=np.inf, cov_type=None).fit(s.X_aug, s.y, instruments=s.G).coef_
        )
    )
    res["DA+IVL"].append(
        [
            s.ncer(
                IVLRegression(ivl_alpha=a, cov_type=None).fit(s.X_aug, s.y, instruments=s.G).coef_
            )
            for a in alphas
        ]
    )
    cv = IVLRegressionCV(cv="holdout", cov_type=None, random_state=seed).fit(
        s.X_aug, s.y, instruments=s.G, X_score=s.X
    )
    res["DA+IVL-CV"].append(s.ncer(cv.coef_))
    Gc, Xc, yc = s.G - s.G.mean(0), s.X_aug - s.X_aug.mean(0), s.y - s.y.mean()
    Xhat = Gc @ np.linalg.lstsq(Gc, Xc, rcond=None)[0]
    res["2SLS min-norm"].append(s.ncer(np.linalg.pinv(Xhat) @ yc))

ivl = np.array(res["DA+IVL"])
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(alphas, ivl.mean(0), "o-", label="DA+IVL(ivl_alpha)")
ax.fill_between(alphas, np.quantile(ivl, 0.25, 0), np.quantile(ivl, 0.75, 0), alpha=0.2)
for name, color, ls in [("ERM", "k", "--"), ("DA+ERM", "C1", "--"), ("2SLS min-norm", "C3", ":")]:
    ax.axhline(np.mean(res[name]), color=color, ls=ls, label=name)
ax.axhline(np.mean(res["DA+IVL-CV"]), color="C2", ls="-.", label="DA+IVL, ivl_alpha by holdout CV")
ax.set_xscale("log")
ax.set_xlabel("ivl_alpha (ERM weight)")
ax.set_ylabel(f"mean nCER over {N_SEMS} SEMs (d={DIM})")
ax.legend(fontsize=8)
ax.set_title("Causal error of ERM, DA+ERM and DA+IVL")
plt.tight_layout()
plt.show()

for name in ["ERM", "DA+ERM", "DA+IVL-CV", "2SLS min-norm"]:
    print(f"{name:14s} mean nCER {np.mean(res[name]):.3f}")
for a, v in zip(alphas, ivl.mean(0)):
    if a in (1e-2, 1e-1, 1.0):
        print(f"DA+IVL ivl_alpha={a:<5g} mean nCER {v:.3f}")

# %% [markdown]
# DA+ERM already improves on ERM; IVL improves further as ivl_alpha decreases, until tiny values make the
# finite-sample IV part unstable. As ivl_alpha grows, DA+IVL returns to DA+ERM (ivl_alpha = inf is OLS on `GX`).
# The holdout selector scores on the un-augmented `X` and so prefers larger values than the best one.
#
# ## Amplification: IVL is augmentation at a larger strength
#
# For translations, IVL(ivl_alpha) on `(X + G B, G)` matches OLS on `X + sqrt(1 + 1/ivl_alpha) G B`.

# %%
s = make_ivl_paper_sem(50_000 if FAST else 200_000, 8, random_state=1)
for a in [1.0, 0.1]:
    h_ivl = IVLRegression(ivl_alpha=a, cov_type=None).fit(s.X_aug, s.y, instruments=s.G).coef_
    X_amp = s.X + np.sqrt(1 + 1 / a) * s.G @ s.directions
    h_amp = IVLRegression(ivl_alpha=np.inf, cov_type=None).fit(X_amp, s.y, instruments=s.G).coef_
    print(f"ivl_alpha={a}: max |IVL - OLS(amplified DA)| = {np.max(np.abs(h_ivl - h_amp)):.4f}")

# %% [markdown]
# ## The k-class family
#
# `KClassRegression` gives the same solver with the econometrician's parametrisation: `kappa=0` is OLS,
# `"tsls"` is 2SLS, `"liml"` and `"fuller(1)"` estimate kappa. IVL covers `kappa` in `[0, 1]`.

# %%
Z = np.c_[
    d.G, d.X[:, 4] ** 2
]  # an extra instrument so that LIML is defined (for illustration only)
for kappa in ["ols", 0.5, "tsls", "liml", "fuller(1)"]:
    m = KClassRegression(kappa=kappa, cov_type=None).fit(d.X_aug, d.y, instruments=Z)
    print(f"kappa={kappa!s:10s} -> numeric kappa {m.kappa_:.4f}")

# %% [markdown]
# ## Weak instruments: the warning, the first stage, and a robust confidence set
#
# Card (1995) instruments years of schooling by growing up near a four-year college (`nearc4`), with
# experience, its square, race and region as exogenous controls. `controls=` names the control columns of `X`
# (equivalently, list them among the instruments too); they are partialled out of `first_stage_`, of LIML's
# kappa and of the weak-instrument tests. The data ship in the `causaldata` package (MIT).

# %%
import warnings

try:
    from causaldata import close_college
except ImportError:  # optional: the section is skipped without causaldata
    close_college = None

if close_college is not None:
    card = close_college.load_pandas().data.dropna().reset_index(drop=True)
    card["exper2"] = card["exper"] ** 2 / 100
    controls = ["exper", "exper2", "black", "smsa", "south"]
    tsls = KClassRegression("tsls").fit(
        card[["educ", *controls]], card["lwage"], instruments=card[["nearc4"]], controls=controls
    )
    print(tsls.first_stage_)
    lo, hi = tsls.conf_int().loc["educ"]
    print(f"2SLS return to schooling {tsls.coef_[0]:.3f}; Wald 95% [{lo:.3f}, {hi:.3f}]")
    print(repr(tsls.confidence_set("educ")))
    print(tsls.weak_iv_tests())

# %% [markdown]
# On the full sample (n = 3003) the partial F is about 16: the Wald interval and the Anderson-Rubin set agree
# roughly (the AR set is a little longer and asymmetric). On a random third of the sample the same instrument is
# weak (partial F about 2): the fit warns, the Wald interval still looks informative, and the AR set, which keeps
# its 95% level however weak the instrument, is the whole line (so is the CLR set, which equals AR with one
# instrument). That is the honest answer: with an instrument this weak the data do not bound the return to
# schooling. (In a simulation with first-stage F about 2,
# `tests/iv/test_iv_weak.py`, the Wald interval covers the truth 73% of the time and the AR set 95.6%.)

# %%
if close_college is not None:
    sub = card.sample(1000, random_state=0)
    # record this fit's warning (locally) to print it here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weak = KClassRegression("tsls").fit(
            sub[["educ", *controls]], sub["lwage"], instruments=sub[["nearc4"]], controls=controls
        )
    for w in caught:
        print(f"{w.category.__name__}: {w.message}")
    lo, hi = weak.conf_int().loc["educ"]
    print(
        f"partial F {weak.first_stage_.loc['educ', 'partial_F']:.2f}; Wald 95% [{lo:.3f}, {hi:.3f}]"
    )
    print(repr(weak.confidence_set("educ")))
    print(repr(weak.confidence_set("educ", test="CLR")))  # the conditional likelihood-ratio set
