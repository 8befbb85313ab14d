"""The time budget of a query, and its end when the client goes away.

The cost limit (cost.py) refuses what is visibly too much before it runs; the budget stops what an
estimate could not see (a record with far more relations than budgeted) and work nobody waits for.
The query runs in a cancel scope: when the budget is spent, or the ASGI server reports
``http.disconnect``, it is cancelled at its next await — between two store calls, since the store
calls themselves run in worker threads that are abandoned, not waited for. On the embedded store,
a serving process also gives every single store query a timeout (``LadybugStore.query_timeout_ms``),
so even one long store call ends.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Literal, TypeVar

import anyio
from starlette.types import Receive

CODE = "TIME_BUDGET_EXCEEDED"
CLIENT_CLOSED_REQUEST = 499  # what the request log shows for a query stopped because its client left
T = TypeVar("T")


async def run_bounded(work: Awaitable[T], budget: float,
                      receive: Receive) -> T | Literal["timeout", "disconnected"]:
    """``work``'s result; or ``"timeout"`` after ``budget`` seconds, or ``"disconnected"`` as soon as the
    client goes away, with the work cancelled. ``receive`` must have delivered the whole body."""
    outcome: list[T | Literal["timeout", "disconnected"]] = []
    failure: list[Exception] = []  # raised as itself, not inside the task group's ExceptionGroup

    async def watch() -> None:
        empty = 0
        while (message := await receive())["type"] != "http.disconnect":
            # After the body, an ASGI server's receive() waits for the client to leave. One that keeps
            # answering with empty body messages instead cannot report it: stop asking.
            empty += not message.get("body") and not message.get("more_body")
            if empty > 1:
                return
            await anyio.sleep(0)
        if not outcome:
            outcome.append("disconnected")
        group.cancel_scope.cancel()

    async def run() -> None:
        with anyio.move_on_after(budget):
            try:
                outcome.append(await work)
            except Exception as exc:
                failure.append(exc)
                outcome.append("timeout")
        if not outcome:
            outcome.append("timeout")
        group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(run)
    if failure:
        raise failure[0]
    return outcome[0]


def time_budget_exceeded(budget: float, with_token: bool) -> dict[str, object]:
    setting = "HERITAGE_TIME_BUDGET" if with_token else "HERITAGE_TIME_BUDGET_ANONYMOUS"
    return {"data": None, "errors": [{
        "message": (f"Query stopped: it ran longer than its time budget of {budget:g} s ({setting}), and none of "
                    "it was sent. Ask for less: a smaller page (`first`), a smaller `maxDepth`, fewer nested "
                    "relations."),
        "extensions": {"code": CODE, "limit": "time", "max": budget}}]}


__all__ = ["CLIENT_CLOSED_REQUEST", "CODE", "run_bounded", "time_budget_exceeded"]
