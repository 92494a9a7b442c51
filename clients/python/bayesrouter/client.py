"""Client for the BayesianRouter routing service (``bayesrouter serve``), standard library only.

    from bayesrouter import BayesianRouterClient
    client = BayesianRouterClient("http://127.0.0.1:8080", token=open("token.txt").read().strip())
    labels = client.label([{"id": "p1", "prompt": "...", "response_a": "...", "response_b": "..."}])
    client.feedback([{"decision_id": labels[0]["decision_id"], "loss": 0.41}])

The client survives what the service is built to survive. A call that meets a refused or dropped connection, a
timeout, or an answer 429, 502, 503 or 504 is sent again, with exponential backoff (and ``Retry-After`` when the
service gives one), under the same ``Idempotency-Key``: the service logs the key with the decisions or feedback of the
first attempt that got through, so a retried ``/v1/label`` returns the same decisions (a pair id the service already
decided is always answered with its logged decision, never a new draw) and a retried ``/v1/feedback`` the same answer
(its items are learned from once). When the retries are spent, the call raises ``ServiceUnavailableError`` (a
``BayesianRouterError``), never a bare socket error.

``PairwiseJudge`` has the call shape of TRL's pairwise judges (``judge(prompts, completions) -> list of 0/1``) and
remembers the decision ids of its last call, so a training step can send the pairs' DPO losses back.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

__all__ = [
    "BayesianRouterClient",
    "BayesianRouterError",
    "ServiceUnavailableError",
    "LabelIncompleteError",
    "PairwiseJudge",
    "RETRY_STATUSES",
]

#: HTTP statuses after which a call is sent again (the service is starting, overloaded, or behind a restarting proxy).
RETRY_STATUSES = (429, 502, 503, 504)


class BayesianRouterError(Exception):
    """The service answered with an error (``status`` and, for 4xx, the problem's ``field`` and ``detail``)."""

    def __init__(self, status: int, detail: str, field: Optional[str] = None):
        super().__init__(f"HTTP {status}: {detail}" + (f" (field {field})" if field else ""))
        self.status = status
        self.detail = detail
        self.field = field


class ServiceUnavailableError(BayesianRouterError):
    """The service could not be reached, or kept answering 429/502/503/504, through every retry of a call.

    ``status`` is the last HTTP status (0 when the last attempt got no answer at all), ``attempts`` how many were made,
    ``cause`` the last error. Retrying the same call later is safe: the service answers a retried label or feedback
    request as it answered (or would have answered) its first attempt.
    """

    def __init__(self, status: int, detail: str, attempts: int, cause: Optional[BaseException] = None):
        super().__init__(status, detail)
        self.attempts = attempts
        self.cause = cause


class LabelIncompleteError(BayesianRouterError):
    """``label`` could not get every pair's decision.

    ``labels`` holds, aligned with the pairs given, the label of each pair that was decided and ``None`` for the others;
    ``undecided`` the ids of the pairs without a confirmed decision; ``cause`` the error that stopped the call. A pair
    in ``undecided`` may still have been decided by the service (its answer was lost): call ``label`` again with the
    same pairs, and each comes back with its logged decision, or is decided now, never twice.
    """

    def __init__(self, labels: List[Optional[Dict[str, Any]]], undecided: List[str], cause: BayesianRouterError):
        super().__init__(cause.status, f"{len(undecided)} of {len(labels)} pairs were not decided: {cause.detail}", cause.field)
        self.labels = labels
        self.undecided = undecided
        self.cause = cause


class BayesianRouterClient:
    """Calls ``/v1/label``, ``/v1/feedback``, ``/v1/router`` and ``/healthz`` of a running ``bayesrouter serve``.

    ``token`` is the service's bearer token (None for a service started with ``--insecure-local``).
    ``timeout`` (seconds) bounds each attempt's connection and every wait for data; it must exceed the service's
    ``--request-deadline`` (60 s by default) plus the time to embed a request's pairs, which is why it is 300 s.
    Requests larger than ``max_batch`` items are split; labels come back in input order.
    ``retries`` is how many times a call is sent again after a connection error or a 429/502/503/504; the waits between
    attempts grow from ``backoff`` seconds, doubling up to ``max_backoff``, each drawn uniformly from [w/2, w] (from a
    generator seeded with ``seed``; by default the process id, so that concurrent clients spread out). The defaults
    (10 retries, 0.5 s doubling to 10 s) ride out about a minute without the service: a restart.
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        timeout: float = 300.0,
        max_batch: int = 512,
        retries: int = 10,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        seed: Optional[int] = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if retries < 0 or backoff < 0 or max_backoff < backoff:
            raise ValueError("retries and backoff must be >= 0, and max_backoff >= backoff")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_batch = max_batch
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._random = random.Random(os.getpid() if seed is None else seed)
        self._sleep = sleep
        #: Attempts sent again so far (after a connection error or a 429/502/503/504), for logs and tests.
        self.retried = 0

    def label(self, pairs: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Routes each pair to one RM and returns its label, in input order.

        A pair is ``{"id", "prompt", "response_a", "response_b", "domain"?, "group"?}``; its id names it for the life of the
        service's state (the service answers an id it already decided with that decision). Each label is ``{"id",
        "decision_id", "rm", "preferred": "a" | "b" | "tie" | None, "score_a"?, "score_b"?, "fallback_from"?, "error"?}``;
        ``preferred`` is None when no RM of the pool could label the pair (``error`` says why).

        Pairs are sent in requests of ``max_batch``, each retried as the class says. Either every pair's label comes
        back, or ``LabelIncompleteError`` says which pairs have one (``labels``) and which not (``undecided``).
        """
        ids = [p.get("id") for p in pairs]
        labels: List[Optional[Dict[str, Any]]] = [None] * len(pairs)
        for start in range(0, len(pairs), self.max_batch):
            chunk = [dict(p) for p in pairs[start:start + self.max_batch]]
            try:
                got = self._request("POST", "/v1/label", {"pairs": chunk})["labels"]
            except BayesianRouterError as e:
                undecided = [str(ids[i]) for i in range(len(pairs)) if labels[i] is None]
                raise LabelIncompleteError(labels, undecided, e) from None
            labels[start:start + len(got)] = got
        return labels  # type: ignore[return-value]

    def feedback(self, items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
        """Sends one training batch of feedback: ``{"decision_id", "loss"}`` (the pair's DPO loss under the label it got)
        or ``{"decision_id", "reward"}`` (a shaped reward in [0, 1]). Returns ``{"accepted", "unknown", "duplicate",
        "unlabelled"}``. Losses of one call are shaped together (batch-centred, then quantile-rescaled), so send one
        call per training step; it is not split. A retried call (after a lost answer) returns the first attempt's answer.
        """
        for i, item in enumerate(items):
            for key in ("loss", "reward"):
                value = item.get(key)
                if value is not None and not math.isfinite(float(value)):
                    raise ValueError(f"feedback[{i}].{key} must be a finite number, got {value!r}")
        return self._request("POST", "/v1/feedback", {"feedback": [dict(i) for i in items]})

    def feedback_losses(self, decision_ids: Iterable[str], losses: Iterable[float]) -> Dict[str, Any]:
        """``feedback`` for aligned decision ids and per-pair DPO losses (floats, or anything ``float()`` takes)."""
        ids, values = list(decision_ids), [float(x) for x in losses]
        if len(ids) != len(values):
            raise ValueError(f"{len(ids)} decision ids for {len(values)} losses")
        return self.feedback([{"decision_id": d, "loss": v} for d, v in zip(ids, values)])

    def router(self) -> Dict[str, Any]:
        """The router's state: pool, decisions, feedback, and per RM its decisions, feedback and mean reward."""
        return self._request("GET", "/v1/router", None)

    def healthy(self) -> bool:
        """True when ``/healthz`` answers 200 (one attempt, no retries)."""
        try:
            return self._send("GET", "/healthz", None, None, auth=False).get("status") == "ok"
        except (BayesianRouterError, OSError, http.client.HTTPException, ValueError):
            return False

    def rewards(self, queries: Sequence[str], prompts: Sequence[str], group_ids: Optional[Sequence[str]] = None) -> Dict[str, Any]:
        """Pointwise rewards (``POST /v1/rewards``, OpenRLHF's shape; docs/integrations.md): ``queries[i]`` is
        ``prompts[i]`` followed by the response; the queries of one prompt (or of one ``group_ids`` value) are scored by
        one RM. Returns ``{"rewards", "scores", "extra_logs": {"rm", "propensity", "cost", "decision_id", "auditor"},
        "decision_ids", "rms"}``, one value per query. Not split: a group must stay in one request.
        """
        body: Dict[str, Any] = {"query": list(queries), "prompts": list(prompts)}
        if group_ids is not None:
            body["group_ids"] = list(group_ids)
        return self._request("POST", "/v1/rewards", body)

    def _request(self, method: str, path: str, body: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """One call: its attempts share one body and one idempotency key (POST), and are retried as the class says."""
        data = None if body is None else json.dumps(body, allow_nan=False).encode("utf-8")
        key = uuid.uuid4().hex if method == "POST" else None
        wait = self.backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(method, path, data, key)
            except BayesianRouterError as e:
                if e.status not in RETRY_STATUSES or isinstance(e, ServiceUnavailableError):
                    raise
                status, detail, cause, retry_after = e.status, e.detail, e, getattr(e, "retry_after", None)
            except (OSError, http.client.HTTPException) as e:  # refused, reset, timed out, cut short
                status, detail, cause, retry_after = 0, f"{type(e).__name__}: {e}", e, None
            if attempt > self.retries:
                raise ServiceUnavailableError(status, f"{method} {path} failed after {attempt} attempts: {detail}", attempt, cause) from None
            pause = wait * (0.5 + 0.5 * self._random.random())
            if retry_after is not None:
                pause = max(pause, min(retry_after, self.max_backoff))
            self._sleep(pause)
            self.retried += 1
            wait = min(wait * 2, self.max_backoff)

    def _send(self, method: str, path: str, data: Optional[bytes], key: Optional[str], auth: bool = True) -> Dict[str, Any]:
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key is not None:
            request.add_header("Idempotency-Key", key)
        if auth and self.token is not None:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                text = e.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                text = ""
            error = _problem(e.code, text or str(e.reason))
            error.retry_after = _seconds(e.headers.get("Retry-After") if e.headers else None)  # type: ignore[attr-defined]
            raise error from None
        # Anything else is an OSError (urllib.error.URLError: refused, unknown host; socket timeouts; resets) or an
        # http.client.HTTPException (an answer cut short): the caller retries those.


def _problem(status: int, text: str) -> BayesianRouterError:
    try:
        problem = json.loads(text)
        if isinstance(problem, dict):
            return BayesianRouterError(status, problem.get("detail") or problem.get("title") or text, problem.get("field"))
    except ValueError:
        pass
    return BayesianRouterError(status, text)


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class PairwiseJudge:
    """A pairwise judge with TRL's call shape, backed by the routing service: for TRL < 1.0 only (TRL removed its judges;
    with TRL 1.x use ``bayesrouter.integrations.trl.RouterReward`` in ``reward_funcs``).

    ``judge(prompts, completions)`` takes prompts and, per prompt, two completions, and returns for each the index (0 or
    1) of the preferred completion, or -1 where no RM could label the pair or the RM judged a tie (TRL reads -1 as "the
    judge failed": skip the pair). ``last_decision_ids`` holds the decision ids of the last call, aligned with it, for
    ``client.feedback_losses(judge.last_decision_ids, losses)`` after the DPO step.

    Pair ids are ``{id_prefix}-{run}-{call}-{i}`` with ``run`` new for every judge (a restarted trainer never sends an id
    the service already decided for another pair).
    """

    def __init__(self, client: BayesianRouterClient, id_prefix: str = "trl"):
        self.client = client
        self.id_prefix = id_prefix
        self.run = uuid.uuid4().hex[:8]
        self.last_decision_ids: List[Optional[str]] = []
        self.last_labels: List[Dict[str, Any]] = []
        self._calls = 0

    def judge(self, prompts: List[str], completions: List[List[str]], shuffle_order: bool = False) -> List[int]:
        if len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completion pairs")
        self._calls += 1
        pairs = []
        for i, (prompt, pair) in enumerate(zip(prompts, completions)):
            if len(pair) != 2:
                raise ValueError(f"completions[{i}] holds {len(pair)} completions; a pairwise judge needs 2")
            pairs.append({"id": f"{self.id_prefix}-{self.run}-{self._calls}-{i}", "prompt": prompt, "response_a": pair[0], "response_b": pair[1]})
        labels = self.client.label(pairs)
        self.last_labels = labels
        self.last_decision_ids = [label["decision_id"] if label.get("preferred") in ("a", "b") else None for label in labels]
        return [0 if label.get("preferred") == "a" else 1 if label.get("preferred") == "b" else -1 for label in labels]

    def send_losses(self, losses: Sequence[float]) -> Dict[str, Any]:
        """Feeds back the DPO losses of the pairs of the last ``judge`` call (aligned; pairs judged -1 are skipped)."""
        if len(losses) != len(self.last_decision_ids):
            raise ValueError(f"{len(losses)} losses for {len(self.last_decision_ids)} judged pairs")
        kept = [(d, float(l)) for d, l in zip(self.last_decision_ids, losses) if d is not None]
        return self.client.feedback([{"decision_id": d, "loss": l} for d, l in kept])
