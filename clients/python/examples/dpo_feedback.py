"""A DPO training step that labels its pairs through BayesianRouter and feeds the pairs' losses back.

Run against a live service:  python3 examples/dpo_feedback.py --url http://127.0.0.1:8080 --token-file token.txt
The "policy" here is a stand-in (random log-probabilities) so the example runs anywhere; in a real trainer the losses
are the per-pair DPO losses of the step, e.g. ``losses = -F.logsigmoid(beta * margins)`` with TRL or OpenRLHF.
"""

import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.client import BayesianRouterClient, PairwiseJudge  # noqa: E402


def dpo_loss(logp_chosen, logp_rejected, ref_chosen, ref_rejected, beta=0.1):
    """-log sigmoid(beta * ((logp_c - ref_c) - (logp_r - ref_r))): the DPO loss of one pair."""
    margin = beta * ((logp_chosen - ref_chosen) - (logp_rejected - ref_rejected))
    return math.log1p(math.exp(-margin)) if margin > -30 else -margin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("BAYESROUTER_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--token-file", default=None)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    token = open(args.token_file).read().strip() if args.token_file else os.environ.get("BAYESROUTER_TOKEN")
    judge = PairwiseJudge(BayesianRouterClient(args.url, token))
    rng = random.Random(0)
    for step in range(args.steps):
        # 1. The policy samples two completions per prompt (here: fixed strings).
        prompts = [f"step {step}: what is {i} + {i}?" for i in range(args.batch)]
        completions = [[f"{2 * i}", f"{2 * i + 1}"] for i in range(args.batch)]
        # 2. BayesianRouter picks one RM per pair and returns its preference (0 or 1; -1 = skip).
        preferred = judge.judge(prompts, completions)
        # 3. The DPO step on the labelled pairs gives one loss per pair (stand-in log-probabilities here).
        losses = []
        for p in preferred:
            lc, lr = rng.gauss(-5, 1), rng.gauss(-6, 1)
            losses.append(dpo_loss(lc, lr, -5.5, -5.5) if p >= 0 else 0.0)
        # 4. The losses go back as one feedback batch: the router learns which RM's labels train well.
        result = judge.send_losses(losses)
        print(f"step {step}: labelled {sum(p >= 0 for p in preferred)}/{len(preferred)}, feedback accepted {result['accepted']}")


if __name__ == "__main__":
    main()
