"""Plugins that let trainers ask ``bayesrouter serve`` for rewards in their own call shapes (docs/integrations.md).

- ``bayesrouter.integrations.openrlhf``: ``reward_func(queries, prompts, labels)`` for ``--remote_rm_url /path/to/openrlhf.py``;
- ``bayesrouter.integrations.verl``: ``compute_score(data_source, solution_str, ground_truth, extra_info)`` for
  ``custom_reward_function.path`` (and ``compute_score_batch`` for verl's batch reward manager);
- ``bayesrouter.integrations.trl``: ``RouterReward()`` for ``reward_funcs`` (GRPO, online DPO), with ``send_dpo_losses``;
- ``bayesrouter.integrations.slime``: ``reward`` for ``--custom-rm-path bayesrouter.integrations.slime.reward``.

Every plugin built without arguments reads ``BAYESROUTER_URL`` (the service) and ``BAYESROUTER_TOKEN_FILE`` (a file
holding its bearer token; unset for a service started with ``--insecure-local``). The modules import the package
absolutely, so a trainer can load them by file path once ``bayesrouter`` is importable (installed, or on PYTHONPATH).
"""
