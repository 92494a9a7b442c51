"""Tests of the Python client against a live ``bayesrouter serve`` (BAYESROUTER_URL, BAYESROUTER_TOKEN in the
environment; the xunit test in tests/BayesianRouter.Service.Tests starts one and runs this file)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.client import BayesianRouterClient, BayesianRouterError, PairwiseJudge  # noqa: E402

URL = os.environ.get("BAYESROUTER_URL")
TOKEN = os.environ.get("BAYESROUTER_TOKEN")
EXPECTED = json.loads(os.environ.get("BAYESROUTER_EXPECTED", "{}"))


@unittest.skipUnless(URL, "BAYESROUTER_URL is not set: no service to test against")
class ClientTests(unittest.TestCase):
    def setUp(self):
        self.client = BayesianRouterClient(URL, TOKEN, timeout=60, max_batch=7)

    def test_label_returns_labels_in_input_order_split_into_batches(self):
        pairs = [{"id": f"py-{i}", "prompt": f"question {i}", "response_a": f"a{i}", "response_b": f"b{i}"} for i in range(20)]
        labels = self.client.label(pairs)
        self.assertEqual([p["id"] for p in pairs], [l["id"] for l in labels])
        self.assertEqual(20, len({l["decision_id"] for l in labels}))
        for label in labels:
            self.assertIn(label["preferred"], ("a", "b", "tie"))
            self.assertIn(label["rm"], EXPECTED.get("pool", [label["rm"]]))
        result = self.client.feedback_losses([l["decision_id"] for l in labels], [0.1 * i for i in range(20)])
        self.assertEqual(20, result["accepted"])
        again = self.client.feedback([{"decision_id": labels[0]["decision_id"], "reward": 1.0}, {"decision_id": "nope", "reward": 0.5}])
        self.assertEqual(0, again["accepted"])
        self.assertEqual([labels[0]["decision_id"]], again["duplicate"])
        self.assertEqual(["nope"], again["unknown"])

    def test_pairwise_judge_has_trls_shape_and_sends_losses(self):
        judge = PairwiseJudge(self.client)
        prompts = ["2 + 2 = ?", "capital of France?", "sort [3, 1, 2]"]
        completions = [["4", "5"], ["Paris", "Lyon"], ["[1, 2, 3]", "[3, 2, 1]"]]
        ranks = judge.judge(prompts, completions)
        self.assertEqual(3, len(ranks))
        for r, label in zip(ranks, judge.last_labels):
            self.assertIn(r, (0, 1, -1))
            self.assertEqual(r, {"a": 0, "b": 1}.get(label["preferred"], -1))
        result = judge.send_losses([0.7, 0.2, 0.5])
        self.assertEqual(sum(1 for r in ranks if r >= 0), result["accepted"])

    def test_router_state_and_health(self):
        state = self.client.router()
        self.assertEqual(EXPECTED.get("pool", state["pool"]), state["pool"])
        self.assertGreaterEqual(state["decisions"], 0)
        self.assertTrue(self.client.healthy())

    def test_errors_name_the_status_and_field(self):
        with self.assertRaises(BayesianRouterError) as caught:
            self.client.feedback([{"decision_id": "x", "reward": 2.0}])
        self.assertEqual(400, caught.exception.status)
        self.assertEqual("feedback[0].reward", caught.exception.field)
        with self.assertRaises(BayesianRouterError) as caught:
            BayesianRouterClient(URL, "wrong-token").router()
        self.assertEqual(401, caught.exception.status)
        with self.assertRaises(ValueError):
            self.client.feedback([{"decision_id": "x", "loss": float("nan")}])


if __name__ == "__main__":
    unittest.main()
