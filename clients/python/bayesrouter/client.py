"""Client for the BayesianRouter routing service (``bayesrouter serve``), standard library only.

    from bayesrouter import BayesianRouterClient
    client = BayesianRouterClient("http://127.0.0.1:8080", token=open("token.txt").read().strip())
    labels = client.label([{"id": "p1", "prompt": "...", "response_a": "...", "response_b": "..."}])
    client.feedback([{"decision_id": labels[0]["decision_id"], "loss": 0.41}])

``PairwiseJudge`` has the call shape of TRL's pairwise judges (``judge(prompts, completions) -> list of 0/1``) and
remembers the decision ids of its last call, so a training step can send the pairs' DPO losses back.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from typing import Any, Dict, Iterable, List, Optional, Sequence

__all__ = ["BayesianRouterClient", "BayesianRouterError", "PairwiseJudge"]


class BayesianRouterError(Exception):
    """The service answered with an error (``status`` and, for 4xx, the problem's ``field`` and ``detail``)."""

    def __init__(self, status: int, detail: str, field: Optional[str] = None):
        super().__init__(f"HTTP {status}: {detail}" + (f" (field {field})" if field else ""))
        self.status = status
        self.detail = detail
        self.field = field


class BayesianRouterClient:
    """Calls ``/v1/label``, ``/v1/feedback``, ``/v1/router`` and ``/healthz`` of a running ``bayesrouter serve``.

    ``token`` is the service's bearer token (None for a service started with ``--insecure-local``).
    Requests larger than ``max_batch`` items are split; labels come back in input order.
    """

    def __init__(self, url: str, token: Optional[str] = None, timeout: float = 300.0, max_batch: int = 512):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_batch = max_batch

    def label(self, pairs: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Routes each pair to one RM and returns its label, in input order.

        A pair is ``{"id", "prompt", "response_a", "response_b", "domain"?, "group"?}``. Each label is ``{"id", "decision_id",
        "rm", "preferred": "a" | "b" | "tie" | None, "score_a"?, "score_b"?, "fallback_from"?, "error"?}``;
        ``preferred`` is None when no RM of the pool could label the pair (``error`` says why).
        """
        labels: List[Dict[str, Any]] = []
        for start in range(0, len(pairs), self.max_batch):
            chunk = [dict(p) for p in pairs[start:start + self.max_batch]]
            labels.extend(self._post("/v1/label", {"pairs": chunk})["labels"])
        return labels

    def feedback(self, items: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
        """Sends one training batch of feedback: ``{"decision_id", "loss"}`` (the pair's DPO loss under the label it got)
        or ``{"decision_id", "reward"}`` (a shaped reward in [0, 1]). Returns ``{"accepted", "unknown", "duplicate",
        "unlabelled"}``. Losses of one call are shaped together (batch-centred, then quantile-rescaled), so send one
        call per training step; it is not split.
        """
        for i, item in enumerate(items):
            for key in ("loss", "reward"):
                value = item.get(key)
                if value is not None and not math.isfinite(float(value)):
                    raise ValueError(f"feedback[{i}].{key} must be a finite number, got {value!r}")
        return self._post("/v1/feedback", {"feedback": [dict(i) for i in items]})

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
        """True when ``/healthz`` answers 200."""
        try:
            return self._request("GET", "/healthz", None, auth=False).get("status") == "ok"
        except (BayesianRouterError, OSError):
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
        return self._post("/v1/rewards", body)

    def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return self._request("POST", path, body)

    def _request(self, method: str, path: str, body: Optional[Dict[str, Any]], auth: bool = True) -> Dict[str, Any]:
        data = None if body is None else json.dumps(body, allow_nan=False).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth and self.token is not None:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                problem = json.loads(text)
                raise BayesianRouterError(e.code, problem.get("detail") or problem.get("title") or text, problem.get("field")) from None
            except ValueError:
                raise BayesianRouterError(e.code, text or e.reason) from None


class PairwiseJudge:
    """A pairwise judge with TRL's call shape, backed by the routing service: for TRL < 1.0 only (TRL removed its judges;
    with TRL 1.x use ``bayesrouter.integrations.trl.RouterReward`` in ``reward_funcs``).

    ``judge(prompts, completions)`` takes prompts and, per prompt, two completions, and returns for each the index (0 or
    1) of the preferred completion, or -1 where no RM could label the pair or the RM judged a tie (TRL reads -1 as "the
    judge failed": skip the pair). ``last_decision_ids`` holds the decision ids of the last call, aligned with it, for
    ``client.feedback_losses(judge.last_decision_ids, losses)`` after the DPO step.
    """

    def __init__(self, client: BayesianRouterClient, id_prefix: str = "trl"):
        self.client = client
        self.id_prefix = id_prefix
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
            pairs.append({"id": f"{self.id_prefix}-{self._calls}-{i}", "prompt": prompt, "response_a": pair[0], "response_b": pair[1]})
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
