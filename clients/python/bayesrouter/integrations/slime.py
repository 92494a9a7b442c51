"""slime: a custom reward model backed by ``bayesrouter serve`` (docs/integrations.md, "slime").

    --custom-rm-path bayesrouter.integrations.slime.reward            # add --group-rm to score a whole group at once

slime imports ``reward`` by its dotted path and awaits ``reward(args, sample)`` for each rollout, or, with
``--group-rm``, ``reward(args, samples)`` with the rollouts of one prompt. Either way the rollouts of a prompt are
scored by one RM (concurrent per-rollout calls are joined into one request, and the service keeps a group's decision
for its window). The group is the sample's ``group_index`` when set, else its prompt. Configured by ``BAYESROUTER_URL``
and ``BAYESROUTER_TOKEN_FILE``.
"""

from __future__ import annotations

from typing import Any, List, Optional, Union

from bayesrouter.integrations._common import AsyncBatcher, Item, client_from_env, prompt_text, score_items

_batcher: Optional[AsyncBatcher] = None
_client = None


def _send(items: List[Item]):
    global _client
    if _client is None:
        _client = client_from_env()
    return score_items(_client, items)


def _item(sample: Any) -> Item:
    group = getattr(sample, "group_index", None)
    return (prompt_text(sample.prompt), sample.response, None if group is None else f"slime-group-{group}")


async def reward(args: Any, sample: Union[Any, List[Any]], **kwargs: Any) -> Union[float, List[float]]:
    """slime's custom RM: a float for one sample, a list of floats for a group (``--group-rm``)."""
    global _batcher
    if _batcher is None:
        _batcher = AsyncBatcher(_send)
    if isinstance(sample, (list, tuple)):
        return [r["reward"] for r in await _batcher.submit([_item(s) for s in sample])]
    return (await _batcher.submit([_item(sample)]))[0]["reward"]
