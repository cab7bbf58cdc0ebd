"""Fair use of a shared server: each session may have at most a few heavy jobs queued or running.

Gradio bounds the queue as a whole (``demo.queue(max_size=…)``), not what one visitor holds in
it: one browser session or API client could fill every place. :class:`SessionJobCap` is an ASGI
middleware in front of Gradio's ``queue/join`` route: a request to join a heavy event (the
``HEAVY`` concurrency group: dream, stylise, GAN training) from a session that already has
:func:`per_session_limit` heavy jobs waiting or running is answered at once with HTTP 429 and a
sentence, which the page shows as an error and API clients get as the response's ``detail``.
Light events (estimates, recipes, the gallery) are never counted or refused. A heavy join let
through carries the time it joined (:data:`JOINED`), so a Stop pressed while it waits still ends it
(:class:`genart.ui.heavy.Stopper`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from ..settings import env_number
from .limits import HEAVY

log = logging.getLogger("genart")

#: Where a heavy join's request carries the time it joined (``time.monotonic()``), for :mod:`genart.ui.heavy`.
JOINED = "genart.joined"
#: Heavy jobs one session may have queued or running at once (GENART_JOBS_PER_SESSION overrides it).
JOBS_PER_SESSION = 2


def per_session_limit() -> int:
    """Heavy jobs a session may have queued or running (GENART_JOBS_PER_SESSION, default 2)."""
    return int(env_number("GENART_JOBS_PER_SESSION", JOBS_PER_SESSION, 1))


def too_many(limit: int) -> str:
    """The sentence a session gets when it asks for one heavy job too many."""
    runs = "run" if limit == 1 else "runs"
    return (f"You already have {limit} {runs} waiting or running. This shared server takes at most {limit} per "
            "visitor so that everyone gets a turn: wait for one to finish (or stop it), then try again.")


def heavy_jobs(blocks, session_hash: str) -> int:
    """How many heavy jobs of ``session_hash`` are waiting in Gradio's queue or running."""
    queue = getattr(blocks, "_queue", None)
    if queue is None:
        return 0
    waiting = [e for q in list(queue.event_queue_per_concurrency_id.values()) for e in list(q.queue)]
    running = [e for job in list(queue.active_jobs) if job for e in job]
    return sum(1 for e in waiting + running if e.session_hash == session_hash and e.concurrency_id == HEAVY)


def _is_heavy(blocks, fn_index) -> bool:
    fn = getattr(blocks, "fns", {}).get(fn_index) if isinstance(fn_index, int) else None
    return fn is not None and fn.concurrency_id == HEAVY


class SessionJobCap:
    """ASGI middleware: refuse a session's heavy ``queue/join`` past :func:`per_session_limit`.

    Joins of heavy events are handled one at a time (each takes well under a millisecond), so
    a client sending many at once cannot slip past the count before its jobs reach the queue.
    """

    def __init__(self, app, limit: int | None = None):
        self.app = app
        self.limit = limit
        self._lock = asyncio.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].endswith("/queue/join"):
            return await self.app(scope, receive, send)
        body, receive = await _buffer(receive)
        try:
            request = json.loads(body)
            session, fn_index = request.get("session_hash"), request.get("fn_index")
        except (ValueError, AttributeError):  # Gradio answers malformed requests itself
            return await self.app(scope, receive, send)
        blocks = getattr(scope.get("app"), "blocks", None)
        if blocks is None or not session or not _is_heavy(blocks, fn_index):
            return await self.app(scope, receive, send)
        limit = self.limit or per_session_limit()
        async with self._lock:
            if heavy_jobs(blocks, str(session)) >= limit:
                log.info("refused a heavy job: session already has %d", limit)
                return await _json(send, 429, {"detail": too_many(limit)})
            scope[JOINED] = time.monotonic()
            return await self.app(scope, receive, send)


async def _buffer(receive):
    """Read the request body; returns it and a ``receive`` that replays it, then passes on."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, sent = b"".join(chunks), False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _json(send, status: int, payload: dict) -> None:
    data = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
