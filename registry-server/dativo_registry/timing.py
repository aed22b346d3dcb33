"""The ``Server-Timing`` header: how long the registry took to answer, as seen by the server.

Every HTTP response of the application carries ``Server-Timing: app;dur=MS``:
the milliseconds from the moment it received the request to the moment it
started the response (routing, the handler with its database work, and
rendering; not the network or the HTTP parsing before). The one exception
is the bare 500 that Starlette's outermost layer sends for an unhandled
error, which no middleware sees. Browsers show it in
their developer tools, and the marketplace benchmark reads it to report
server-side latency next to what the client saw (W3C Server Timing).

A plain ASGI middleware, so that measuring adds one header and nothing else:
no request or response objects, no buffering.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADER", "ServerTiming", "parse_duration"]

HEADER = "server-timing"
#: The metric's name in the header.
METRIC = "app"


class ServerTiming:
    """ASGI middleware adding ``Server-Timing: app;dur=MS`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                header = f"{METRIC};dur={elapsed_ms:.2f}".encode("latin-1")
                message["headers"] = [*message.get("headers", []), (HEADER.encode(), header)]
            await send(message)

        await self.app(scope, receive, send_timed)


def parse_duration(value: str | None) -> float | None:
    """The ``app`` duration (ms) of a ``Server-Timing`` header value, or None without one."""
    for metric in (value or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        if name != METRIC:
            continue
        for param in params:
            key, _, number = param.partition("=")
            if key.strip() == "dur":
                try:
                    return float(number)
                except ValueError:
                    return None
    return None
