"""TRL 1.x: ``RouterReward`` for ``reward_funcs`` (GRPO, ``trl.experimental.online_dpo``), docs/integrations.md.

    from bayesrouter.integrations.trl import RouterReward
    reward = RouterReward()                      # BAYESROUTER_URL, BAYESROUTER_TOKEN_FILE
    trainer = GRPOTrainer(model, reward_funcs=[reward], ...)            # or reward_funcs=[reward.async_reward]

TRL calls a reward function as ``f(prompts=..., completions=..., completion_ids=..., **kwargs)`` and wants one float per
completion; GRPO repeats each prompt ``num_generations`` times, online DPO passes ``2 * prompts``. The completions of one
prompt are one group, scored by one RM in one request. With TRL's ``log_extra`` and ``log_metric`` keyword arguments
the RM of each completion goes to the completions table and the mean choice probability to the logged metrics.
``send_dpo_losses(losses)`` sends online DPO's per-pair losses (one per prompt of the last call, in order) back to the
router. TRL removed pairwise judges; ``bayesrouter.PairwiseJudge`` is for TRL < 1.0.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Sequence

from bayesrouter.client import BayesianRouterClient
from bayesrouter.integrations._common import client_from_env, completion_text, prompt_text, score_items


class RouterReward:
    """A reward function for TRL's ``reward_funcs``, sync (the object) or async (``async_reward``)."""

    __name__ = "bayesrouter"

    def __init__(self, client: Optional[BayesianRouterClient] = None, url: Optional[str] = None, token_file: Optional[str] = None):
        self.client = client or client_from_env(url, token_file)
        self.last_results: List[Dict[str, Any]] = []
        self.last_decision_ids: List[str] = []

    def _score(self, prompts: Sequence[Any], completions: Sequence[Any]) -> List[Dict[str, Any]]:
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
        items = [(prompt_text(p), completion_text(c), None) for p, c in zip(prompts, completions)]
        results = score_items(self.client, items)
        self.last_results = results
        seen: Dict[str, None] = {}
        for r in results:
            seen.setdefault(r["decision_id"], None)
        self.last_decision_ids = list(seen)
        return results

    def _log(self, results: List[Dict[str, Any]], kwargs: Dict[str, Any]) -> None:
        log_extra, log_metric = kwargs.get("log_extra"), kwargs.get("log_metric")
        if callable(log_extra):
            log_extra("bayesrouter_rm", [r["rm"] for r in results])
        if callable(log_metric) and results:
            log_metric("bayesrouter/propensity", sum(r["propensity"] for r in results) / len(results))

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> List[float]:
        results = self._score(prompts, completions)
        self._log(results, kwargs)
        return [r["reward"] for r in results]

    async def async_reward(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> List[float]:
        """The same as a coroutine function (TRL runs async reward functions concurrently on its own event loop)."""
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(None, self._score, prompts, completions)
        self._log(results, kwargs)
        return [r["reward"] for r in results]

    def send_dpo_losses(self, losses: Sequence[float]) -> Dict[str, Any]:
        """Online DPO: the per-pair DPO losses of the last call's prompts (one pair per prompt, in the order the prompts
        first appeared), shaped by the router as one training batch (appendix B)."""
        values = [float(x) for x in losses]
        if len(values) != len(self.last_decision_ids):
            raise ValueError(f"{len(values)} losses for {len(self.last_decision_ids)} prompts of the last call")
        return self.client.feedback_losses(self.last_decision_ids, values)
