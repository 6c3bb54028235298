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
# # Reward deconfounding: learning from observational outcomes without learning the confounders
#
# A company has historical content (here: three content features per item; with real data, text
# embeddings or the texts themselves) and the outcomes it got (clicks, conversions). The outcomes also
# depend on **known confounders**: the season and the platform it was shown on. Features that merely
# co-vary with the season look valuable in the raw outcomes. A reward model trained on raw outcomes, and a
# language model fine-tuned against it, learn to produce them.
#
# `causalkit.RewardDeconfounder` removes the known confounders' effect from the rewards, after Loghmani
# (2025), *Aligning Language Models with Observational Data* (arXiv 2506.00152). The paper publishes no
# code; causalkit implements the partially linear model
# $Y = T\beta + h(C) + \varepsilon$ by cross-fitted partialling-out (double ML) or by one joint fit on
# $T$ and a basis of $C$, and returns the causal feature effects $\hat\beta$ with standard errors, the
# adjusted rewards $\tilde Y = Y - \hat h(C)$, and the deconfounded reward $T\hat\beta$ for scoring
# new content.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from causalkit.datasets import (
    make_confounded_content,
    make_confounded_texts,
    make_content_candidates,
)
from causalkit.deconfound import RewardDeconfounder

FAST = bool(
    os.environ.get("CAUSALKIT_VIGNETTE_FAST")
    or os.environ.get("CAUSALKIT_reward_deconfounding.py_FAST")
)
N = 2000 if FAST else 4000
N_PROMPTS = 300 if FAST else 1000

# %% [markdown]
# ## The data
#
# `make_confounded_content` simulates the setting with known truth: the season $c$ and the platform
# drive the reward through $h(C) = 2\sin c + 1.5\,\text{platform}$. Three features:
#
# - `t_spur` follows the season and the platform but has **no** effect;
# - `t_ent` has a real effect (1.0) and is **entangled** with the season;
# - `t_ind` has a real effect (0.5) and is independent of the confounders.

# %%
data = make_confounded_content(N, random_state=0)
frame = pd.concat([data.rewards, data.confounders, data.features], axis=1)
frame.head()

# %% [markdown]
# ## Naive versus deconfounded feature weights
#
# `method="dml"` (default) partials the confounders out of the rewards *and* the features, out of fold,
# then regresses residual on residual. `method="joint"` fits rewards on the features and a spline/one-hot
# basis of the confounders in one OLS. Two baselines are kept for comparison only: `"naive"` (rewards on
# features) and `"residualize_confounders"` (subtract $\hat E[Y\mid C]$ from the rewards, then regress on
# the *raw* features), a tempting simplification that is wrong.
#
# The call follows EconML's `fit(Y, T, *, X=None, W=None)`: the rewards, then the features whose effects
# are estimated, then the confounders by keyword: `fit(rewards, features, confounders=...)`.

# %%
methods = ["naive", "residualize_confounders", "joint", "dml"]
fits = {
    m: RewardDeconfounder(method=m, random_state=0).fit(
        data.rewards, data.features, confounders=data.confounders
    )
    for m in methods
}
weights = pd.DataFrame({m: fits[m].coef_ for m in methods}, index=data.features.columns)
weights["truth"] = data.coef
weights.round(3)

# %%
ax = weights.plot.bar(figsize=(7, 3.5), rot=0)
ax.axhline(0, color="black", lw=0.8)
ax.set_ylabel("feature weight")
ax.set_title("Feature weights learned from observational rewards")
plt.tight_layout()
plt.show()

# %% [markdown]
# The naive reward gives the spurious feature a large weight and overstates the entangled one.
# Residualizing the rewards alone over-corrects: the spurious feature gets a *negative* weight and the
# entangled causal one is attenuated. Both deconfounded fits recover the truth. The summary keeps the
# feature names and shows the naive weight beside each estimate; `conf_int(alpha=...)` gives the intervals
# as a frame indexed by feature (both read `inference_`, set by `fit`):

# %%
print(fits["dml"].summary())
fits["dml"].conf_int(alpha=0.05).round(3)

# %% [markdown]
# ## Adjusted rewards
#
# `adjusted_rewards_` are the rewards with the (out-of-fold) confounder effect removed, on the original
# level: the fine-tuning target (a Series with the rewards' index, since the rewards are one). Their
# seasonal swing is gone.

# %%
season = data.confounders["season"].to_numpy()
order = np.argsort(season)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
axes[0].scatter(season, data.rewards, s=3, alpha=0.3)
axes[0].set_title("observed rewards")
axes[1].scatter(season, fits["dml"].adjusted_rewards_, s=3, alpha=0.3, color="C2")
axes[1].set_title("adjusted rewards (dml)")
for ax in axes:
    ax.set_xlabel("season")
axes[0].set_ylabel("reward")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Best-of-K selection on randomised candidates
#
# The reward is used to pick among candidate texts. We draw 8 candidates per prompt from a *randomised*
# distribution (each feature from its marginal, independent of any confounder, as in an A/B test), pick the
# argmax of each learned reward, and report the mean true causal value $g(T) = T\beta$ of the picks.

# %%
cand = make_content_candidates(N_PROMPTS, 8, random_state=1)
value = cand.causal_value.reshape(N_PROMPTS, 8)
rows = []
for m in methods:
    score = fits[m].predict(cand.features).to_numpy().reshape(N_PROMPTS, 8)
    rows.append(
        {
            "reward": m,
            "mean true value of pick": value[np.arange(N_PROMPTS), score.argmax(axis=1)].mean(),
            "Spearman with true value": fits[m].score(cand.features, cand.causal_value),
        }
    )
rows.append({"reward": "oracle", "mean true value of pick": value.max(axis=1).mean()})
best_of_k = pd.DataFrame(rows).set_index("reward")
best_of_k.round(3)

# %%
ax = best_of_k["mean true value of pick"].plot.barh(figsize=(6, 2.8), color="C0")
ax.set_xlabel("mean causal value of the best-of-8 pick")
plt.tight_layout()
plt.show()

# %% [markdown]
# The deconfounded reward picks what the oracle picks; the naive one loses roughly 0.4-0.5 units of true value
# per prompt by chasing seasonal features.
#
# ## Text directly
#
# With raw texts, pass them as `features` together with a `featurizer` (any scikit-learn transformer;
# without one, TF-IDF + TruncatedSVD is used). Here the word `snow` is common in winter, when rewards are
# high anyway, but has no effect; `deal` has a real effect (+1) and is also more frequent in winter.

# %%
texts = make_confounded_texts(N, random_state=2)
print(texts.texts[:3])
vec = CountVectorizer(binary=True, vocabulary=list(texts.coef.index))
word_weights = pd.DataFrame(
    {
        m: RewardDeconfounder(method=m, featurizer=vec, random_state=0)
        .fit(texts.rewards, texts.texts, confounders=texts.confounders)
        .coef_
        for m in ("naive", "dml")
    },
    index=texts.coef.index,
)
word_weights["truth"] = texts.coef
word_weights.round(3)

# %% [markdown]
# ## Limits
#
# - Only the **known** confounders are removed; unobserved confounding is not handled.
# - The model is additive. If feature effects differ by platform, the adjusted reward is only an additive
#   projection.
# - Overlap is needed: features must still vary once the confounders are fixed. A feature (nearly) fully
#   determined by the confounders raises an error (or an `OverlapWarning`) that reports the rank and the
#   condition number of the partialled-out design; `residual_variance_share_` shows how much of each
#   feature's variance is left after removing the confounders.

# %%
pd.Series(fits["dml"].residual_variance_share_, index=data.features.columns).round(3)
