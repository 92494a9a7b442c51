"""OpenRLHF: rewards from ``bayesrouter serve`` (docs/integrations.md, "OpenRLHF").

Two ways, both one RM per group of rollouts of a prompt:

1. HTTP, no code: ``--remote_rm_url http://HOST:PORT/get_reward`` (config ``reward.remote_url``). OpenRLHF sends no
   token, so this needs a service started with ``--insecure-local`` on the trainer's machine.
2. This file as OpenRLHF's custom reward function, which sends the token:
   ``--remote_rm_url $(python -c 'import bayesrouter.integrations.openrlhf as m; print(m.__file__)')`` with
   ``BAYESROUTER_URL`` and ``BAYESROUTER_TOKEN_FILE`` set. OpenRLHF loads a ``.py`` remote_rm_url by path and calls
   ``reward_func(queries, prompts, labels)``: 0.9.x with a micro-batch of rollouts, 0.11.x with one rollout per call from
   concurrent threads (``asyncio.to_thread``); rollouts of one prompt stay on one RM either way (the service keeps a
   group's decision for its window, and concurrent calls are joined into one request).

The answer has OpenRLHF's shape: ``{"rewards": [...], "scores": [...], "extra_logs": {"rm", "propensity", "cost",
"decision_id"}}``, one value per query (numbers only: OpenRLHF turns every extra_logs value into a tensor).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from bayesrouter.integrations._common import Batcher, client_from_env, score_items

_batcher: Optional[Batcher] = None


def _get_batcher() -> Batcher:
    global _batcher
    if _batcher is None:
        client = client_from_env()
        _batcher = Batcher(lambda items: score_items(client, items))
    return _batcher


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Optional[Sequence[Any]] = None) -> Dict[str, Any]:
    """OpenRLHF's custom reward function: ``queries[i]`` is ``prompts[i]`` followed by the response (as the model saw
    it); ``labels`` are not read. Returns ``{"rewards", "scores", "extra_logs"}``, one value per query."""
    if len(queries) != len(prompts):
        raise ValueError(f"{len(queries)} queries for {len(prompts)} prompts")
    items = []
    for i, (q, p) in enumerate(zip(queries, prompts)):
        if not q.startswith(p) and p not in q:
            raise ValueError(f"queries[{i}] does not contain prompts[{i}]")
        items.append((p, q[q.index(p) + len(p):] if not q.startswith(p) else q[len(p):], None))
    results = _get_batcher().submit(items)
    return {
        "rewards": [r["reward"] for r in results],
        "scores": [r["score"] for r in results],
        "extra_logs": {
            "rm": [float(r["rm_index"]) for r in results],
            "propensity": [r["propensity"] for r in results],
            "cost": [r["cost"] for r in results],
            "decision_id": [float(r["decision"]) for r in results],
        },
    }
