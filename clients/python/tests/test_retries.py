"""The client's retries, against a scripted HTTP server on loopback (no service needed): what it sends again, with
which key, after which failures, and what it raises when the retries are spent. The xunit test
tests/BayesianRouter.Service.Tests/PythonClientTests.cs runs this file; the behaviour against a real service killed
with SIGKILL is tests/kill_driver.py (tests/BayesianRouter.Cli.Tests/ServeKillTests.cs)."""

import http.server
import json
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bayesrouter.client import (  # noqa: E402
    BayesianRouterClient,
    BayesianRouterError,
    LabelIncompleteError,
    ServiceUnavailableError,
)


class Script:
    """What the server answers, one entry per request: (status, body, headers) or "drop" (close without an answer)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []  # (method, path, Idempotency-Key, body)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        script = self.server.script
        script.seen.append((self.command, self.path, self.headers.get("Idempotency-Key"), body))
        answer = script.answers.pop(0) if script.answers else (500, {"detail": "script ran out"}, {})
        if answer == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, payload, headers = answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer
    do_POST = _answer


class Stub:
    def __init__(self, answers):
        self.script = Script(answers)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.script = self.script
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def labels(*ids):
    return {"labels": [{"id": i, "decision_id": f"x-{n}", "rm": "rm0", "preferred": "a"} for n, i in enumerate(ids)]}


PAIR = {"id": "p1", "prompt": "q", "response_a": "a", "response_b": "b"}


class RetryTests(unittest.TestCase):
    def client(self, url, **kw):
        self.slept = []
        kw.setdefault("retries", 4)
        return BayesianRouterClient(url, "tok", timeout=5, backoff=0.5, max_backoff=4.0, seed=1, sleep=self.slept.append, **kw)

    def test_503_and_429_and_a_dropped_connection_are_retried_under_one_idempotency_key(self):
        answers = [(503, {"detail": "starting"}, {"Retry-After": "2"}), (429, {"detail": "busy"}, {}), "drop", (200, labels("p1"), {})]
        with Stub(answers) as stub:
            got = self.client(stub.url).label([PAIR])
        self.assertEqual("x-0", got[0]["decision_id"])
        seen = stub.script.seen
        self.assertEqual(4, len(seen))
        keys = {k for _, _, k, _ in seen}
        self.assertEqual(1, len(keys))  # every attempt carries the same key
        self.assertTrue(next(iter(keys)))
        self.assertTrue(all(b == {"pairs": [PAIR]} for _, _, _, b in seen))  # and the same body
        self.assertEqual(3, len(self.slept))
        self.assertGreaterEqual(self.slept[0], 2.0)  # Retry-After is honoured
        self.assertTrue(0.5 <= self.slept[1] <= 1.0 and 1.0 <= self.slept[2] <= 2.0, self.slept)  # then backoff doubles, jittered

    def test_each_call_gets_its_own_key_and_feedback_is_retried_too(self):
        with Stub([(503, {}, {}), (200, {"accepted": 1}, {}), (200, {"accepted": 1}, {})]) as stub:
            c = self.client(stub.url)
            self.assertEqual(1, c.feedback_losses(["x-0"], [0.5])["accepted"])
            self.assertEqual(1, c.feedback_losses(["x-1"], [0.5])["accepted"])
        keys = [k for _, _, k, _ in stub.script.seen]
        self.assertEqual(keys[0], keys[1])
        self.assertNotEqual(keys[1], keys[2])

    def test_a_client_error_is_never_retried(self):
        with Stub([(400, {"detail": "pairs[0].prompt: is missing", "field": "pairs[0].prompt"}, {})]) as stub:
            with self.assertRaises(LabelIncompleteError) as caught:
                self.client(stub.url).label([PAIR])
        self.assertEqual(1, len(stub.script.seen))
        self.assertEqual((400, "pairs[0].prompt"), (caught.exception.status, caught.exception.field))
        self.assertEqual(["p1"], caught.exception.undecided)
        self.assertEqual([], self.slept)
        with Stub([(401, {"detail": "unauthorised"}, {})]) as stub:
            with self.assertRaises(BayesianRouterError) as caught:
                self.client(stub.url).router()
        self.assertEqual(401, caught.exception.status)
        self.assertNotIsInstance(caught.exception, ServiceUnavailableError)

    def test_no_service_at_all_raises_service_unavailable_after_the_retries_never_a_socket_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        c = self.client(f"http://127.0.0.1:{port}", retries=3)
        with self.assertRaises(ServiceUnavailableError) as caught:
            c.router()
        e = caught.exception
        self.assertEqual((0, 4), (e.status, e.attempts))
        self.assertIsInstance(e.cause, OSError)
        self.assertEqual(3, len(self.slept))
        with self.assertRaises(LabelIncompleteError) as caught:
            c.label([PAIR])
        self.assertIsInstance(caught.exception.cause, ServiceUnavailableError)

    def test_chunks_that_were_decided_are_returned_with_the_error_of_the_first_that_was_not(self):
        pairs = [dict(PAIR, id=f"p{i}") for i in range(5)]
        answers = [(200, labels("p0", "p1"), {}), (200, labels("p2", "p3"), {})] + [(503, {"detail": "down"}, {})] * 3
        with Stub(answers) as stub:
            with self.assertRaises(LabelIncompleteError) as caught:
                self.client(stub.url, max_batch=2, retries=2).label(pairs)
        e = caught.exception
        self.assertEqual(["p0", "p1", "p2", "p3", None], [l and l["id"] for l in e.labels])
        self.assertEqual(["p4"], e.undecided)
        self.assertEqual(503, e.status)
        self.assertEqual(5, len(stub.script.seen))

    def test_the_timeout_is_above_the_services_default_deadline(self):
        self.assertGreater(BayesianRouterClient("http://127.0.0.1:1").timeout, 60)


if __name__ == "__main__":
    unittest.main()
