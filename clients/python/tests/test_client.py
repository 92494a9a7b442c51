"""Tests of the Python client against a live ``bayesrouter serve`` (BAYESROUTER_URL, BAYESROUTER_TOKEN in the
environment; the xunit test in tests/BayesianRouter.Service.Tests starts one and runs this file)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.client import BayesianRouterClient, BayesianRouterError, LabelIncompleteError, PairwiseJudge  # noqa: E402

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

    def test_router_state_counts_what_was_labelled_and_health(self):
        before = self.client.router()
        self.assertEqual(EXPECTED.get("pool", before["pool"]), before["pool"])
        labels = self.client.label([{"id": f"count-{i}", "prompt": f"count {i}", "response_a": "x", "response_b": "y"} for i in range(5)])
        after = self.client.router()
        self.assertEqual(before["decisions"] + 5, after["decisions"])
        per_rm = {rm: after["rms"][rm]["decisions"] - before["rms"][rm]["decisions"] for rm in after["pool"]}
        self.assertEqual({rm: sum(1 for l in labels if l["rm"] == rm) for rm in after["pool"]}, per_rm)
        self.assertTrue(self.client.healthy())
        self.assertFalse(BayesianRouterClient("http://127.0.0.1:9", retries=0).healthy())

    def test_a_pair_id_already_decided_is_answered_with_its_logged_decision(self):
        pairs = [{"id": f"again-{i}", "prompt": f"again {i}", "response_a": f"a{i}", "response_b": f"b{i}"} for i in range(6)]
        first = self.client.label(pairs)
        decisions = self.client.router()["decisions"]
        # sent again, in another order and with a new pair: the old ones come back as logged, only the new one is decided
        second = self.client.label(list(reversed(pairs)) + [{"id": "again-new", "prompt": "new", "response_a": "x", "response_b": "y"}])
        self.assertEqual(list(reversed(first)), second[:6])
        self.assertEqual(decisions + 1, self.client.router()["decisions"])
        # the same id for another pair is refused, naming the pair
        with self.assertRaises(LabelIncompleteError) as caught:
            self.client.label([{"id": "again-0", "prompt": "again 0", "response_a": "other", "response_b": "b0"}])
        self.assertEqual(409, caught.exception.status)
        self.assertEqual("pairs[0].id", caught.exception.field)
        self.assertEqual(["again-0"], caught.exception.undecided)

    def test_a_failed_chunk_says_which_pairs_were_decided(self):
        pairs = [{"id": f"chunk-{i}", "prompt": f"chunk {i}", "response_a": "x", "response_b": "y"} for i in range(10)]
        pairs[8]["respone_a"] = "misspelt"  # the second chunk (max_batch 7) is refused whole
        with self.assertRaises(LabelIncompleteError) as caught:
            self.client.label(pairs)
        e = caught.exception
        self.assertEqual(400, e.status)
        self.assertEqual(["chunk-7", "chunk-8", "chunk-9"], e.undecided)
        self.assertEqual([f"chunk-{i}" for i in range(7)], [l["id"] for l in e.labels[:7]])
        self.assertEqual([None] * 3, e.labels[7:])
        del pairs[8]["respone_a"]
        again = self.client.label(pairs)  # the decided ones come back unchanged, the rest are decided now
        self.assertEqual(e.labels[:7], again[:7])

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
