"""What the plugins share: the client from the environment, prompt rendering, and batching of concurrent calls."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bayesrouter.client import BayesianRouterClient, BayesianRouterError

# One scored item: (prompt text, response text, group id or None for "group by prompt").
Item = Tuple[str, str, Optional[str]]


def client_from_env(url: Optional[str] = None, token_file: Optional[str] = None, timeout: float = 600.0) -> BayesianRouterClient:
    """A client of ``url`` (default: ``BAYESROUTER_URL``) with the token read from ``token_file`` (default:
    ``BAYESROUTER_TOKEN_FILE``; none when unset)."""
    url = url or os.environ.get("BAYESROUTER_URL")
    if not url:
        raise RuntimeError("set BAYESROUTER_URL to the address of `bayesrouter serve` (e.g. http://127.0.0.1:8080)")
    token_file = token_file or os.environ.get("BAYESROUTER_TOKEN_FILE")
    token = None
    if token_file:
        with open(token_file, encoding="utf-8") as f:
            token = f.read().strip()
        if not token:
            raise RuntimeError(f"BAYESROUTER_TOKEN_FILE {token_file}: the file is empty")
    return BayesianRouterClient(url, token, timeout=timeout)


def prompt_text(prompt: Any) -> str:
    """A prompt as text: a string as it is; chat messages (``[{"role", "content"}, ...]``) as the last user message's
    content when it is the only message, else one ``role: content`` line per message."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, dict) and "content" in prompt:
        return str(prompt["content"])
    messages = list(prompt)
    if len(messages) == 1 and isinstance(messages[0], dict):
        return str(messages[0].get("content", ""))
    return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" if isinstance(m, dict) else str(m) for m in messages)


def completion_text(completion: Any) -> str:
    """A completion as text: a string, or chat messages (TRL's conversational form) joined by their contents."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    return "".join(str(m.get("content", "")) if isinstance(m, dict) else str(m) for m in completion)


def score_items(client: BayesianRouterClient, items: Sequence[Item], retries: int = 3) -> List[Dict[str, Any]]:
    """Scores items through ``POST /v1/rewards``; one result per item: ``{"reward", "score", "rm", "rm_index",
    "propensity", "cost", "decision_id", "decision"}``. A 503 (no RM could score a group) or a broken connection is
    asked again up to ``retries`` times, with back-off."""
    if not items:
        return []
    prompts = [p for p, _, _ in items]
    queries = [p + r for p, r, _ in items]
    group_ids = None
    if any(g is not None for _, _, g in items):
        group_ids = [g if g is not None else "prompt:" + p for p, _, g in items]
    for attempt in range(retries + 1):
        try:
            answer = client.rewards(queries, prompts, group_ids)
            break
        except BayesianRouterError as e:
            if e.status != 503 or attempt == retries:
                raise
        except OSError:
            if attempt == retries:
                raise
        time.sleep(min(2.0 ** attempt * 0.2, 5.0))
    logs = answer["extra_logs"]
    return [
        {
            "reward": float(answer["rewards"][i]),
            "score": float(answer["scores"][i]),
            "rm": answer["rms"][i],
            "rm_index": int(logs["rm"][i]),
            "propensity": float(logs["propensity"][i]),
            "cost": float(logs["cost"][i]),
            "decision_id": answer["decision_ids"][i],
            "decision": int(logs["decision_id"][i]),
        }
        for i in range(len(items))
    ]


class Batcher:
    """Joins concurrent calls from threads into one request: the first caller waits ``window`` seconds for others, then
    sends every item that arrived (so rollouts of one prompt asked at once stay in one request and one decision)."""

    def __init__(self, send: Callable[[List[Item]], List[Dict[str, Any]]], window: float = 0.02):
        self._send = send
        self.window = window
        self._lock = threading.Lock()
        self._pending: List[Tuple[List[Item], Dict[str, Any]]] = []
        self._leading = False
        self.requests = 0

    def submit(self, items: Sequence[Item]) -> List[Dict[str, Any]]:
        entry: Dict[str, Any] = {"event": threading.Event(), "result": None, "error": None}
        with self._lock:
            self._pending.append((list(items), entry))
            lead = not self._leading
            self._leading = True
        if lead:
            time.sleep(self.window)
            with self._lock:
                batch, self._pending, self._leading = self._pending, [], False
            flat = [item for items_, _ in batch for item in items_]
            try:
                self.requests += 1
                results = self._send(flat)
                at = 0
                for items_, e in batch:
                    e["result"] = results[at:at + len(items_)]
                    at += len(items_)
            except BaseException as error:  # every waiting caller sees the failure
                for _, e in batch:
                    e["error"] = error
            for _, e in batch:
                e["event"].set()
        entry["event"].wait()
        if entry["error"] is not None:
            raise entry["error"]
        return entry["result"]


class AsyncBatcher:
    """Joins concurrent coroutines of one event loop into one request (sent from a worker thread, so the loop is
    never blocked): the first waits ``window`` seconds for the others."""

    def __init__(self, send: Callable[[List[Item]], List[Dict[str, Any]]], window: float = 0.02):
        self._send = send
        self.window = window
        self._pending: List[Tuple[List[Item], "asyncio.Future[List[Dict[str, Any]]]"]] = []
        self.requests = 0

    async def submit(self, items: Sequence[Item]) -> List[Dict[str, Any]]:
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[List[Dict[str, Any]]]" = loop.create_future()
        self._pending.append((list(items), future))
        if len(self._pending) == 1:
            await asyncio.sleep(self.window)
            batch, self._pending = self._pending, []
            flat = [item for items_, _ in batch for item in items_]
            try:
                self.requests += 1
                results = await loop.run_in_executor(None, self._send, flat)
                at = 0
                for items_, f in batch:
                    f.set_result(results[at:at + len(items_)])
                    at += len(items_)
            except Exception as error:
                for _, f in batch:
                    if not f.done():
                        f.set_exception(error)
        return await future
