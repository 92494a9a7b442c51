"""A training loop of N concurrent clients against a service that is killed and restarted under it.

Run by tests/BayesianRouter.Cli.Tests/ServeKillTests.cs, which starts ``bayesrouter serve``, SIGKILLs it and restarts
it on the same state and port while this runs. Each client thread does, step after step: label its next pairs,
compute stand-in per-pair losses, send them as one feedback batch, and check the answer (every labelled pair accepted,
none unknown or duplicate). Nothing is caught around the client's calls: an exception that reaches the loop (a socket
error, a ServiceUnavailableError, a wrong answer) is recorded and makes the exit code 1.

    python3 tests/kill_driver.py --url URL --token TOKEN --pairs pairs.jsonl --clients 8 --steps 5 --batch 8 --out result.json

Writes ``result.json``: ``labels`` (every acknowledged label: pair id, decision id, rm), ``feedback`` (every decision id
whose feedback was acknowledged as accepted), ``errors``, ``calls``, ``retried`` (attempts sent again) and ``seconds``. Prints ``step done`` after every
completed step (the test kills the service when enough steps are done).
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.client import BayesianRouterClient  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pairs", required=True, help="pair file (JSON Lines): the pairs the RMs know, split among the clients")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--retries", type=int, default=30, help="retries per call (backoff 0.2 s doubling to 2 s: about a minute)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.pairs, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    need = args.clients * args.steps * args.batch
    if len(pairs) < need:
        raise SystemExit(f"{args.pairs} holds {len(pairs)} pairs; {need} are needed")

    lock = threading.Lock()
    labels, feedback, errors = [], [], []
    calls = [0]
    retried = [0]

    def record(kind, items):
        with lock:
            kind.extend(items)

    def client_loop(c):
        client = BayesianRouterClient(args.url, args.token, timeout=120, retries=args.retries, backoff=0.2, max_backoff=2.0, seed=c)
        try:
            for step in range(args.steps):
                start = (c * args.steps + step) * args.batch
                batch = [{"id": p["id"], "prompt": p["prompt"], "response_a": p["response_a"], "response_b": p["response_b"], "domain": p.get("domain")}
                         for p in pairs[start:start + args.batch]]
                got = client.label(batch)
                with lock:
                    calls[0] += 1
                if [g["id"] for g in got] != [p["id"] for p in batch]:
                    raise AssertionError(f"client {c} step {step}: labels for {[g['id'] for g in got]}, not the pairs sent")
                record(labels, [{"id": g["id"], "decision_id": g["decision_id"], "rm": g["rm"]} for g in got])
                labelled = [g for g in got if g.get("preferred") is not None]
                losses = [0.05 * ((c * 31 + step * 7 + i) % 17) for i in range(len(labelled))]
                answer = client.feedback_losses([g["decision_id"] for g in labelled], losses)
                with lock:
                    calls[0] += 1
                if answer["accepted"] != len(labelled) or answer["unknown"] or answer["duplicate"]:
                    raise AssertionError(f"client {c} step {step}: feedback answered {answer} for {len(labelled)} labelled pairs")
                record(feedback, [g["decision_id"] for g in labelled])
                print("step done", flush=True)
        except BaseException as e:  # noqa: B902 - whatever reaches the training loop is the finding
            record(errors, [f"client {c}: {type(e).__name__}: {e}\n{traceback.format_exc()}"])
        with lock:
            retried[0] += client.retried

    clock = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(c,), daemon=True) for c in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"labels": labels, "feedback": feedback, "errors": errors, "calls": calls[0], "retried": retried[0], "seconds": time.monotonic() - clock}, f)
    print(f"done: {len(labels)} labels, {len(feedback)} feedback items, {calls[0]} calls ({retried[0]} attempts retried), {len(errors)} errors", flush=True)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
