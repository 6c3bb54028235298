"""Simulators for :mod:`causalkit.deconfound`: observational content rewards confounded by known variables.

The setting: historical content (represented by features or texts) with observed rewards (clicks,
conversions) that also depend on known confounders (season, platform). The truth is additive,
``Y = T @ beta + h(C) + noise``, so the causal feature effects ``beta`` and the confounder effect ``h`` are known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from causalkit._base import check_random_state, check_scalar_in_range

from ._checks import check_output_size

__all__ = ["make_confounded_content", "make_confounded_texts", "make_content_candidates"]

#: True effects of the three content features of :func:`make_confounded_content`.
CONTENT_COEF = {"t_spur": 0.0, "t_ent": 1.0, "t_ind": 0.5}


def _check_n(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer; got {n!r}.")
    return int(n)


def _rng(random_state) -> np.random.RandomState:
    """A RandomState from None, an int, a RandomState or a Generator (which contributes one seed draw)."""
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(int(random_state.integers(0, 2**32 - 1)))
    return check_random_state(random_state)


#: largest confounding strength / noise scale accepted (larger ones overflow the simulated rewards)
_MAX_SCALE = 1e100


def _confounder_effect(season: np.ndarray, platform: np.ndarray) -> np.ndarray:
    return 2.0 * np.sin(season) + 1.5 * platform


def make_confounded_content(
    n: int = 4000,
    *,
    confounding: float = 1.0,
    noise: float = 1.0,
    random_state=None,
) -> Bunch:
    """Observational rewards of content whose features are confounded by season and platform.

    The data-generating process (the spec's test DGP):

    - confounders: ``season ~ U(0, 2π)``, ``platform ~ Bernoulli(0.4)``;
    - confounder effect on the reward ``h(C) = 2 sin(season) + 1.5 platform``;
    - features: ``t_spur = s·(sin(season) + 0.8 platform) + N(0, 0.5²)`` (no effect),
      ``t_ent = 0.7 s·sin(season) + N(0, 1)`` (causal, β = 1, entangled with the season),
      ``t_ind ~ N(0, 1)`` (causal, β = 0.5), where ``s = confounding``;
    - reward ``Y = 0·t_spur + 1·t_ent + 0.5·t_ind + h(C) + N(0, noise²)``.

    Parameters
    ----------
    n : int, default 4000
        Number of historical content items.
    confounding : float, default 1.0
        Strength ``s`` of the confounders' effect on the features; ``0`` makes the features independent
        of the confounders (a no-confounding control; ``h(C)`` still moves the rewards).
    noise : float, default 1.0
        Standard deviation of the reward noise.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    Bunch with
        ``rewards`` (Series, n), ``confounders`` (DataFrame: season, platform), ``features`` (DataFrame:
        t_spur, t_ent, t_ind), ``coef`` (Series of true effects), ``confounder_effect`` (h(C), n),
        ``causal_value`` (T @ coef, n).

    Examples
    --------
    >>> d = make_confounded_content(500, random_state=0)
    >>> d.features.shape, list(d.coef)
    ((500, 3), [0.0, 1.0, 0.5])
    """
    n = _check_n(n, "n")
    check_output_size(8 * n, "n")
    s = check_scalar_in_range(confounding, "confounding", low=0.0, high=_MAX_SCALE)
    sd = check_scalar_in_range(noise, "noise", low=0.0, high=_MAX_SCALE)
    rng = _rng(random_state)
    season = rng.uniform(0.0, 2.0 * np.pi, n)
    platform = (rng.uniform(size=n) < 0.4).astype(float)
    t_spur = s * (np.sin(season) + 0.8 * platform) + rng.normal(0.0, 0.5, n)
    t_ent = 0.7 * s * np.sin(season) + rng.normal(0.0, 1.0, n)
    t_ind = rng.normal(0.0, 1.0, n)
    features = pd.DataFrame({"t_spur": t_spur, "t_ent": t_ent, "t_ind": t_ind})
    coef = pd.Series(CONTENT_COEF, name="coef")
    h = _confounder_effect(season, platform)
    value = features.to_numpy() @ coef.to_numpy()
    rewards = value + h + rng.normal(0.0, sd, n)
    return Bunch(
        rewards=pd.Series(rewards, name="reward"),
        confounders=pd.DataFrame({"season": season, "platform": platform}),
        features=features,
        coef=coef,
        confounder_effect=h,
        causal_value=value,
    )


def make_content_candidates(
    n_prompts: int = 500, n_candidates: int = 8, *, random_state=None
) -> Bunch:
    """Randomised candidate content, as in an A/B test, for best-of-K selection.

    Each candidate's features are drawn from their marginal distributions in
    :func:`make_confounded_content` independently of each other and of any confounder, so that a reward's
    ranking of candidates can be judged by the true causal value ``g(T) = T @ coef`` alone.

    Parameters
    ----------
    n_prompts : int, default 500
        Number of prompts (groups of candidates).
    n_candidates : int, default 8
        Candidates per prompt (K).
    random_state : int, RandomState, Generator or None

    Returns
    -------
    Bunch with
        ``features`` (DataFrame, n_prompts * n_candidates rows, columns t_spur, t_ent, t_ind),
        ``prompt`` (int array: prompt id of each row), ``causal_value`` (true g(T) of each row),
        ``coef`` (true effects).

    Examples
    --------
    >>> cand = make_content_candidates(10, 8, random_state=0)
    >>> cand.features.shape
    (80, 3)
    """
    n_prompts = _check_n(n_prompts, "n_prompts")
    k = _check_n(n_candidates, "n_candidates")
    check_output_size(8 * n_prompts * k, "n_prompts and n_candidates")
    rng = _rng(random_state)
    m = n_prompts * k
    # each feature from its own marginal: fresh, independent confounder draws per feature
    season_a, season_b = rng.uniform(0.0, 2.0 * np.pi, (2, m))
    platform = (rng.uniform(size=m) < 0.4).astype(float)
    t_spur = np.sin(season_a) + 0.8 * platform + rng.normal(0.0, 0.5, m)
    t_ent = 0.7 * np.sin(season_b) + rng.normal(0.0, 1.0, m)
    t_ind = rng.normal(0.0, 1.0, m)
    features = pd.DataFrame({"t_spur": t_spur, "t_ent": t_ent, "t_ind": t_ind})
    coef = pd.Series(CONTENT_COEF, name="coef")
    return Bunch(
        features=features,
        prompt=np.repeat(np.arange(n_prompts), k),
        causal_value=features.to_numpy() @ coef.to_numpy(),
        coef=coef,
    )


#: Words of :func:`make_confounded_texts`: (effect on the reward, how the confounders move their use).
TEXT_WORDS = {
    "snow": 0.0,  # spurious: used in winter, when rewards are high anyway
    "deal": 1.0,  # causal and entangled with the season
    "video": 0.5,  # causal, independent of the confounders
}
_FILLER = (
    "the new our post today see more about this great week story read here with you and for".split()
)


def make_confounded_texts(n: int = 2000, *, random_state=None) -> Bunch:
    """Short texts whose words are confounded by season and platform.

    Each text has six filler words and, independently, the words ``snow`` (no effect; used far more
    in winter and on platform 1), ``deal`` (raises the reward by 1.0; more frequent in winter) and
    ``video`` (raises it by 0.5; unrelated to the confounders). ``winter = cos(season) > 0``.
    The reward is ``Y = 1·[deal] + 0.5·[video] + 2 cos(season) + 1.5 platform + N(0, 1)``.

    Parameters
    ----------
    n : int, default 2000
    random_state : int, RandomState, Generator or None

    Returns
    -------
    Bunch with ``texts`` (list of str), ``rewards`` (Series), ``confounders`` (DataFrame: season,
    platform), ``indicators`` (DataFrame of 0/1 word indicators), ``coef`` (Series: true word effects).

    Examples
    --------
    >>> d = make_confounded_texts(100, random_state=0)
    >>> len(d.texts), list(d.coef.index)
    (100, ['snow', 'deal', 'video'])
    """
    n = _check_n(n, "n")
    check_output_size(16 * n, "n")  # texts: a Python string per unit
    rng = _rng(random_state)
    season = rng.uniform(0.0, 2.0 * np.pi, n)
    platform = (rng.uniform(size=n) < 0.4).astype(float)
    winter = np.cos(season)
    p_snow = 1.0 / (1.0 + np.exp(-(-1.0 + 2.5 * winter + 1.0 * platform)))
    p_deal = 1.0 / (1.0 + np.exp(-(-0.3 + 1.2 * winter)))
    p_video = np.full(n, 0.4)
    ind = np.column_stack([rng.uniform(size=n) < p for p in (p_snow, p_deal, p_video)]).astype(
        float
    )
    texts = []
    for i in range(n):
        words = list(rng.choice(_FILLER, size=6))
        for j, w in enumerate(TEXT_WORDS):
            if ind[i, j]:
                words.insert(int(rng.randint(0, len(words) + 1)), w)
        texts.append(" ".join(words))
    coef = pd.Series(TEXT_WORDS, name="coef", dtype=float)
    h = 2.0 * winter + 1.5 * platform
    rewards = ind @ coef.to_numpy() + h + rng.normal(0.0, 1.0, n)
    return Bunch(
        texts=texts,
        rewards=pd.Series(rewards, name="reward"),
        confounders=pd.DataFrame({"season": season, "platform": platform}),
        indicators=pd.DataFrame(ind, columns=list(TEXT_WORDS)),
        coef=coef,
        confounder_effect=h,
    )
