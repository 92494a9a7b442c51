"""verl: a custom reward function backed by ``bayesrouter serve`` (docs/integrations.md, "verl").

    custom_reward_function.path=$(python -c 'import bayesrouter.integrations.verl as m; print(m.__file__)')
    custom_reward_function.name=compute_score          # or compute_score_batch with reward_model.reward_manager=batch

verl loads this file by path and calls ``compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=...)`` per rollout: sequentially (the naive reward manager) or concurrently from worker threads (the reward
loop). The prompt is read from ``extra_info["prompt"]`` (a string or chat messages; add it in your data preprocessing),
the group from ``extra_info["group_id"]`` when given, else the prompt. Concurrent calls are joined into one request,
and the service keeps a group's decision for its window, so the rollouts of one prompt are scored by one RM. Returns
``{"score": reward, "rm": index, "propensity": p, "decision": n}`` (verl logs the extra keys).
``compute_score_async`` is the same as a coroutine; ``compute_score_batch`` takes verl's batch manager's lists.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from bayesrouter.integrations._common import AsyncBatcher, Batcher, Item, client_from_env, prompt_text, score_items

_batcher: Optional[Batcher] = None
_async_batcher: Optional[AsyncBatcher] = None


def _send(items: List[Item]) -> List[Dict[str, Any]]:
    return score_items(_client(), items)


_client_instance = None


def _client():
    global _client_instance
    if _client_instance is None:
        _client_instance = client_from_env()
    return _client_instance


def _item(solution_str: str, extra_info: Optional[Dict[str, Any]]) -> Item:
    if not extra_info or extra_info.get("prompt") is None:
        raise ValueError('bayesrouter.integrations.verl needs the prompt in extra_info["prompt"] (add it when preprocessing the data)')
    group = extra_info.get("group_id")
    return (prompt_text(extra_info["prompt"]), solution_str, None if group is None else str(group))


def _result(r: Dict[str, Any]) -> Dict[str, Any]:
    return {"score": r["reward"], "rm": r["rm_index"], "propensity": r["propensity"], "decision": r["decision"]}


def compute_score(data_source: Any = None, solution_str: str = "", ground_truth: Any = None, extra_info: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Dict[str, Any]:
    """verl's reward function shape; ``data_source`` and ``ground_truth`` are not read."""
    global _batcher
    if _batcher is None:
        _batcher = Batcher(_send)
    return _result(_batcher.submit([_item(solution_str, extra_info)])[0])


async def compute_score_async(data_source: Any = None, solution_str: str = "", ground_truth: Any = None, extra_info: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Dict[str, Any]:
    """``compute_score`` as a coroutine (verl awaits a coroutine function directly); concurrent calls share a request."""
    global _async_batcher
    if _async_batcher is None:
        _async_batcher = AsyncBatcher(_send)
    return _result((await _async_batcher.submit([_item(solution_str, extra_info)]))[0])


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any], extra_infos: Sequence[Optional[Dict[str, Any]]], **kwargs: Any) -> List[Dict[str, Any]]:
    """verl's batch reward manager's shape: lists in, one result per rollout out, in one request."""
    items = [_item(s, e) for s, e in zip(solution_strs, extra_infos)]
    return [_result(r) for r in _send(items)]
