"""Safe persistence of the network learners' fitted torch modules (#12 item 3).

skops stores numpy arrays, dicts, lists, ints and strings without any extra trusted type, but not torch modules.
:func:`encode_modules` replaces every built-in :class:`~causalkit.graphs.NodeGNN` held in a fitted attribute (alone
or in a list of folds) by ``{"node_gnn": constructor arguments, "weights": state_dict as numpy}``;
:func:`decode_modules` rebuilds the module and loads the weights, so a loaded learner predicts exactly as the
saved one. Modules built by a user factory are left as they are: pickle can store them, skops refuses them (by
design: loading them would mean trusting arbitrary code).
"""

from __future__ import annotations

from typing import Any, cast

__all__ = ["TorchStateMixin", "decode_modules", "encode_modules"]

_KEY = "node_gnn"


def _node_gnn_class():
    from ..graphs._nn import NodeGNN

    return NodeGNN


def _encode_one(value: Any) -> Any:
    if value is None or not isinstance(value, _node_gnn_class()):
        return value
    weights = {key: t.detach().cpu().numpy().copy() for key, t in value.state_dict().items()}
    return {_KEY: dict(value.init_args), "weights": weights, "training": bool(value.training)}


def _decode_one(value: Any) -> Any:
    if not (isinstance(value, dict) and _KEY in value and "weights" in value):
        return value
    import torch

    module = _node_gnn_class()(**value[_KEY])
    state = {key: torch.from_numpy(array.copy()) for key, array in value["weights"].items()}
    module.load_state_dict(state)
    module.train(bool(value.get("training", False)))
    return module


def _map_attributes(state: dict[str, Any], attributes: tuple[str, ...], convert) -> dict[str, Any]:
    """A copy of ``state`` with ``convert`` applied to each of ``attributes`` (to each item of a list of folds)."""
    state = dict(state)
    for attr in attributes:
        if attr not in state:
            continue
        value = state[attr]
        state[attr] = [convert(v) for v in value] if isinstance(value, list) else convert(value)
    return state


def encode_modules(state: dict[str, Any], attributes: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``state`` with the built-in GNN modules of ``attributes`` (or of their lists) as arrays."""
    return _map_attributes(state, attributes, _encode_one)


def decode_modules(state: dict[str, Any], attributes: tuple[str, ...]) -> dict[str, Any]:
    """The inverse of :func:`encode_modules`: rebuild each stored module and load its weights exactly."""
    return _map_attributes(state, attributes, _decode_one)


class TorchStateMixin:
    """``__getstate__``/``__setstate__`` that store the fitted GNNs named in ``_torch_attributes`` as arrays.

    Put it before :class:`sklearn.base.BaseEstimator` in the bases (so scikit-learn's own state handling, which
    records its version, still runs).
    """

    _torch_attributes: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        # BaseEstimator.__getstate__ returns the instance dict (typed as object by the stubs)
        state = cast(dict[str, Any], super().__getstate__())  # type: ignore[misc]
        return encode_modules(state, self._torch_attributes)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(decode_modules(state, self._torch_attributes))  # type: ignore[misc]
