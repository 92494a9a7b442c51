"""The trainer plugins, called the way each trainer's code calls them, against a live ``bayesrouter serve`` with recorded
RMs (the xunit test tests/BayesianRouter.Service.Tests/TrainerIntegrationTests.cs starts both and runs this file).

Environment: BAYESROUTER_URL, BAYESROUTER_TOKEN_FILE (the plugins' own configuration), BAYESROUTER_GROUPS (a JSON file:
the pool and rollout groups with every RM's recorded score per response and the judge's hidden quality).

The call shapes were read from the trainers' public sources:
- OpenRLHF v0.9.0 (06ab51e7) openrlhf/utils/remote_rm_utils.py and v0.11.0 (3c3be623) openrlhf/utils/agent.py: a
  ``.py`` remote_rm_url is loaded with ``importlib.util.spec_from_file_location("reward_func", path)`` and
  ``reward_func(queries, prompts, labels)`` is called on micro-batches (0.9) or on one sample per call from
  ``asyncio.to_thread`` (0.11); the result is ``{"rewards", "scores", "extra_logs"}`` whose values become tensors;
- verl b178a3cd (v0.7.0+125) verl/utils/import_utils.py (loaded by path as ``custom_module_<hash>``),
  verl/workers/reward_manager/naive.py (sequential keyword calls ``data_source=, solution_str=, ground_truth=,
  extra_info=``), verl/experimental/reward_loop/reward_manager/naive.py (one call per sample through
  ``loop.run_in_executor``), verl/workers/reward_manager/batch.py (``data_sources=, solution_strs=, ground_truths=,
  extra_infos=``);
- TRL f2cd5771 (v1.9.0+26) trl/trainer/grpo_trainer.py (``reward_func(prompts=, completions=, completion_ids=,
  **reward_kwargs)`` with dataset columns, ``trainer_state``, ``log_extra``, ``log_metric``; each prompt repeated
  num_generations times; async functions gathered on the trainer's loop via ``run_coroutine_threadsafe``),
  trl/experimental/online_dpo/online_dpo_trainer.py (``prompts=2 * prompts``);
- slime 624b824a (v0.3.1+38) slime/rollout/rm_hub/__init__.py (``await rm(args, sample)`` per sample through
  ``load_function``, or ``await rm(args, samples)`` per group with ``--group-rm``), slime/utils/types.py (Sample).
"""

import asyncio
import importlib
import importlib.util
import inspect
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.integrations import _common  # noqa: E402

URL = os.environ.get("BAYESROUTER_URL")
GROUPS_FILE = os.environ.get("BAYESROUTER_GROUPS")
DATA = json.load(open(GROUPS_FILE)) if GROUPS_FILE else {"pool": [], "groups": []}
POOL = DATA["pool"]
GROUPS = DATA["groups"]
INTEGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bayesrouter", "integrations")


def groups_for(test_index, count=8):
    """Disjoint groups per test (the service keeps a group's decision for its window)."""
    return GROUPS[test_index * count:(test_index + 1) * count]


def expected(group, rm, i, anchor):
    if rm == "judge":
        return 0.5 if i == anchor else (1.0 if group["judge_quality"][i] > group["judge_quality"][anchor] else 0.0)
    return group["scores"][rm][i]


def rm_of(group, indices, values):
    """The one RM (and, for the judge, one anchor) whose recorded answers are every value; None when there is none."""
    for rm in POOL:
        anchors = range(len(group["responses"])) if rm == "judge" else [0]
        for anchor in anchors:
            if all(abs(expected(group, rm, i, anchor) - v) < 1e-9 for i, v in zip(indices, values)):
                return rm
    return None


class Sample:
    """slime's Sample, the fields its RMs read (slime/utils/types.py)."""

    def __init__(self, prompt, response, label=None, group_index=None, index=None):
        self.prompt, self.response, self.label, self.group_index, self.index = prompt, response, label, group_index, index
        self.metadata = {}


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@unittest.skipUnless(URL and GROUPS_FILE, "BAYESROUTER_URL / BAYESROUTER_GROUPS are not set: no service to test against")
class TrainerIntegrationTests(unittest.TestCase):
    def setUp(self):
        self.client = _common.client_from_env()

    def decisions(self):
        return self.client.router()["decisions"]

    def assert_one_rm_per_group(self, groups, calls):
        """``calls``: (group index, response index, returned value); every group's values are one RM's recorded answers."""
        for g, group in enumerate(groups):
            mine = [(i, v) for gg, i, v in calls if gg == g]
            self.assertEqual(len(group["responses"]), len(mine), f"group {g}: one value per rollout")
            rm = rm_of(group, [i for i, _ in mine], [v for _, v in mine])
            self.assertIsNotNone(rm, f"group {g}: the values {mine} are not one RM's recorded scores")

    def test_openrlhf_0_9_micro_batches(self):
        groups = groups_for(0)
        module = load_by_path("reward_func", os.path.join(INTEGRATIONS, "openrlhf.py"))
        rollouts = [(g, i) for g in range(len(groups)) for i in range(len(groups[g]["responses"]))]
        queries = [groups[g]["prompt"] + groups[g]["responses"][i] for g, i in rollouts]
        prompts = [groups[g]["prompt"] for g, _ in rollouts]
        labels = ["42"] * len(rollouts)
        before = self.decisions()
        # micro_rollout_batch_size 16 = 4 prompts x 4 samples per chunk, chunks run in parallel (ray remote)
        results = [None] * (len(queries) // 16)

        def run(c):
            results[c] = module.reward_func(queries[c * 16:(c + 1) * 16], prompts[c * 16:(c + 1) * 16], labels[c * 16:(c + 1) * 16])
        threads = [threading.Thread(target=run, args=(c,)) for c in range(len(queries) // 16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rewards = [x for r in results for x in r["rewards"]]
        self.assertEqual(len(rollouts), len(rewards))
        for r in results:
            self.assertEqual(len(r["rewards"]), len(r["scores"]))
            for key in ("rm", "propensity", "cost", "decision_id"):
                self.assertEqual(len(r["rewards"]), len(r["extra_logs"][key]))
                self.assertTrue(all(isinstance(v, (int, float)) for v in r["extra_logs"][key]), key)
        self.assert_one_rm_per_group(groups, [(g, i, v) for (g, i), v in zip(rollouts, rewards)])
        self.assertEqual(before + len(groups), self.decisions())

    def test_openrlhf_0_11_one_sample_per_call_from_threads(self):
        groups = groups_for(1)
        module = load_by_path("reward_func", os.path.join(INTEGRATIONS, "openrlhf.py"))
        rollouts = [(g, i) for g in range(len(groups)) for i in range(len(groups[g]["responses"]))]
        before = self.decisions()

        async def main():
            return await asyncio.gather(*[asyncio.to_thread(module.reward_func, [groups[g]["prompt"] + groups[g]["responses"][i]], [groups[g]["prompt"]], ["42"]) for g, i in rollouts])

        infos = asyncio.run(main())
        self.assert_one_rm_per_group(groups, [(g, i, info["rewards"][0]) for (g, i), info in zip(rollouts, infos)])
        self.assertEqual(before + len(groups), self.decisions())

    def test_verl_naive_manager_sequential_calls(self):
        groups = groups_for(2)
        module = load_by_path(f"custom_module_{hash(os.path.abspath(os.path.join(INTEGRATIONS, 'verl.py')))}", os.path.join(INTEGRATIONS, "verl.py"))
        before = self.decisions()
        calls = []
        for g, group in enumerate(groups):
            for i, response in enumerate(group["responses"]):
                extra_info = {"prompt": [{"role": "user", "content": group["prompt"]}], "index": g, "split": "train", "num_turns": None, "rollout_reward_scores": {}}
                result = module.compute_score(data_source="openai/gsm8k", solution_str=response, ground_truth="42", extra_info=extra_info)
                self.assertIsInstance(result, dict)
                self.assertIn("score", result)
                calls.append((g, i, result["score"]))
        self.assert_one_rm_per_group(groups, calls)
        self.assertEqual(before + len(groups), self.decisions())

    def test_verl_reward_loop_concurrent_calls_are_batched(self):
        groups = groups_for(3)
        module = load_by_path("verl_reward", os.path.join(INTEGRATIONS, "verl.py"))
        rollouts = [(g, i) for g in range(len(groups)) for i in range(len(groups[g]["responses"]))]
        before = self.decisions()

        async def main():
            loop = asyncio.get_running_loop()
            return await asyncio.gather(*[loop.run_in_executor(None, lambda g=g, i=i: module.compute_score(
                data_source="openai/gsm8k", solution_str=groups[g]["responses"][i], ground_truth="42",
                extra_info={"prompt": groups[g]["prompt"], "num_turns": None, "rollout_reward_scores": {}})) for g, i in rollouts])

        results = asyncio.run(main())
        self.assert_one_rm_per_group(groups, [(g, i, r["score"]) for (g, i), r in zip(rollouts, results)])
        self.assertEqual(before + len(groups), self.decisions())
        self.assertLess(module._batcher.requests, len(rollouts), "concurrent calls share requests")

    def test_verl_async_and_batch_manager(self):
        groups = groups_for(4)
        module = load_by_path("verl_reward_async", os.path.join(INTEGRATIONS, "verl.py"))
        self.assertTrue(inspect.iscoroutinefunction(module.compute_score_async))
        half = len(groups) // 2

        async def main():
            return await asyncio.gather(*[module.compute_score_async(data_source="x", solution_str=r, ground_truth=None, extra_info={"prompt": groups[g]["prompt"]})
                                          for g in range(half) for r in groups[g]["responses"]])

        results = asyncio.run(main())
        calls = [(g, i, results[k]["score"]) for k, (g, i) in enumerate((g, i) for g in range(half) for i in range(len(groups[g]["responses"])))]
        rest = groups[half:]
        batch = module.compute_score_batch(
            data_sources=["x"] * sum(len(g["responses"]) for g in rest),
            solution_strs=[r for g in rest for r in g["responses"]],
            ground_truths=[None] * sum(len(g["responses"]) for g in rest),
            extra_infos=[{"prompt": g["prompt"]} for g in rest for _ in g["responses"]])
        k = 0
        for g, group in enumerate(rest):
            for i in range(len(group["responses"])):
                calls.append((half + g, i, batch[k]["score"]))
                k += 1
        self.assert_one_rm_per_group(groups, calls)

    def test_verl_without_a_prompt_says_what_is_missing(self):
        module = load_by_path("verl_reward_missing", os.path.join(INTEGRATIONS, "verl.py"))
        with self.assertRaises(ValueError) as e:
            module.compute_score(data_source="x", solution_str="y", ground_truth=None, extra_info={"index": 0})
        self.assertIn('extra_info["prompt"]', str(e.exception))

    def test_trl_grpo_sync_with_dataset_columns_and_loggers(self):
        from bayesrouter.integrations.trl import RouterReward
        groups = groups_for(5)
        reward = RouterReward()
        logged = {}
        g_count = len(groups[0]["responses"])  # num_generations
        prompts = [g["prompt"] for g in groups for _ in range(g_count)]
        completions = [r for g in groups for r in g["responses"]]
        before = self.decisions()
        values = reward(prompts=prompts, completions=completions, completion_ids=[[1, 2, 3]] * len(prompts), answer=["42"] * len(prompts),
                        trainer_state=None, log_extra=lambda column, v: logged.__setitem__(column, v), log_metric=lambda name, v: logged.__setitem__(name, v))
        self.assertEqual(len(completions), len(values))
        self.assertTrue(all(isinstance(v, float) for v in values))
        self.assert_one_rm_per_group(groups, [(k // g_count, k % g_count, v) for k, v in enumerate(values)])
        self.assertEqual(before + len(groups), self.decisions())
        self.assertEqual(len(completions), len(logged["bayesrouter_rm"]))
        self.assertGreater(logged["bayesrouter/propensity"], 0)

    def test_trl_grpo_async_conversational_on_the_trainers_loop(self):
        from bayesrouter.integrations.trl import RouterReward
        groups = groups_for(6)
        reward = RouterReward()
        self.assertTrue(inspect.iscoroutinefunction(reward.async_reward))
        g_count = len(groups[0]["responses"])
        prompts = [[{"role": "user", "content": g["prompt"]}] for g in groups for _ in range(g_count)]
        completions = [[{"role": "assistant", "content": r}] for g in groups for r in g["responses"]]
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            async def gather():
                return await asyncio.gather(reward.async_reward(prompts=prompts, completions=completions, completion_ids=None, trainer_state=None))
            values = asyncio.run_coroutine_threadsafe(gather(), loop).result(timeout=120)[0]
        finally:
            loop.call_soon_threadsafe(loop.stop)
        self.assert_one_rm_per_group(groups, [(k // g_count, k % g_count, v) for k, v in enumerate(values)])

    def test_trl_online_dpo_two_completions_per_prompt_and_losses_back(self):
        from bayesrouter.integrations.trl import RouterReward
        groups = groups_for(7)
        reward = RouterReward()
        prompts = [g["prompt"] for g in groups]
        completions = [g["responses"][0] for g in groups] + [g["responses"][1] for g in groups]
        values = reward(prompts=2 * prompts, completions=completions, completion_ids=None, trainer_state=None)
        self.assertEqual(2 * len(groups), len(values))
        self.assert_one_rm_per_group([{**g, "responses": g["responses"][:2]} for g in groups],
                                     [(k % len(groups), k // len(groups), v) for k, v in enumerate(values)])
        result = reward.send_dpo_losses([0.3 + 0.01 * k for k in range(len(groups))])
        self.assertEqual(len(groups), result["accepted"])

    def test_slime_per_sample_and_group_rm(self):
        rm = getattr(importlib.import_module("bayesrouter.integrations.slime"), "reward")  # load_function("bayesrouter.integrations.slime.reward")
        self.assertTrue(inspect.iscoroutinefunction(rm))
        groups = groups_for(8)
        half = len(groups) // 2
        args = object()
        before = self.decisions()

        async def main():
            per_sample = [Sample(groups[g]["prompt"], r, "42", group_index=None, index=i) for g in range(half) for i, r in enumerate(groups[g]["responses"])]
            singles = await asyncio.gather(*[rm(args, s) for s in per_sample])
            grouped = await asyncio.gather(*[rm(args, [Sample(groups[g]["prompt"], r, "42", group_index=1000 + g) for r in groups[g]["responses"]]) for g in range(half, len(groups))])
            return singles, grouped

        singles, grouped = asyncio.run(main())
        calls = [(g, i, singles[k]) for k, (g, i) in enumerate((g, i) for g in range(half) for i in range(len(groups[g]["responses"])))]
        for g, values in zip(range(half, len(groups)), grouped):
            self.assertIsInstance(values, list)
            calls.extend((g, i, v) for i, v in enumerate(values))
        self.assert_one_rm_per_group(groups, calls)
        self.assertEqual(before + len(groups), self.decisions())

    def test_the_environment_configures_the_plugins(self):
        saved = os.environ.pop("BAYESROUTER_URL")
        try:
            with self.assertRaises(RuntimeError) as e:
                _common.client_from_env()
            self.assertIn("BAYESROUTER_URL", str(e.exception))
        finally:
            os.environ["BAYESROUTER_URL"] = saved
        self.assertIsNotNone(self.client.token)


if __name__ == "__main__":
    unittest.main()
