"""One request from the run page's console, sent through the run's real load balancer.

The command arrives checked (``labs.services.checked_command``, ``labs.frames``): a
method, Host, path, query, headers, extra cookies and a client IP the topology lets in.
The request goes out from that client's own loopback address, like every simulated
client, to the node the client's address hashes to (a browser resolving the LB's name
keeps one node), so stickiness and X-Forwarded-For behave as for any other client.

The cookie jar lives here, in the worker, one per client IP (``console-<ip>`` in the
run's ``ClientPool``): the jar belongs to the client that receives the Set-Cookie, it
survives a reload of the page and a second tab sees the same jar, as one browser would.
The answer, the jar after it, and the Root of the X-Amzn-Trace-Id the request carried
(which the load balancer's ``request`` event keeps, so the page finds its trace) come
back as one ``console`` event (labs.engine.events.Console).
"""

from __future__ import annotations

import os
import ssl
import time
import zlib
from collections.abc import Sequence
from typing import Any

import httptools

from labs.engine.events import Console

from .clock import LabClock
from .sandbox import SandboxViolation
from .traffic import ClientPool, Entry, TlsFailed, tls_code, tls_reason

BODY_PREVIEW = 2048  # bytes of the answer's body shown on the page
WAIT_SECONDS = 30.0  # wall seconds to wait for the answer (an ALB's 504 comes sooner)


def entry_for(entries: Sequence[Entry], lb: str | None, port: int | None) -> Entry | None:
    """The listener the console sends to: the one asked for, else the first HTTP one."""
    for entry in entries:
        if entry.datagrams:
            continue
        if (lb is None or entry.lb == lb) and (port is None or entry.port == port):
            return entry
    return None


async def send(
    command: dict[str, Any],
    entries: Sequence[Entry],
    clients: ClientPool,
    clock: LabClock,
    by: str | None = None,
    tls_failed: TlsFailed | None = None,
) -> Console:
    """Send the console's request and describe its answer (never raises for I/O).

    A handshake that fails is told to ``tls_failed`` (a ``tls.error``, counted as any
    client's) and the answer says so by its code, with the library's reason as its error.
    """
    ip = str(command["client_ip"])
    root = f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    query = command.get("query") or ""
    url = (command.get("path") or "/") + (f"?{query}" if query else "")
    entry = entry_for(entries, command.get("lb"), command.get("listener"))
    fields: dict[str, Any] = {
        "id": str(command.get("id") or ""),
        "client_ip": ip,
        "lb": entry.lb if entry else str(command.get("lb") or ""),
        "listener": entry.port if entry else int(command.get("listener") or 0),
        "method": str(command.get("method") or "GET"),
        "url": url,
        "trace_root": root,
        "by": by,
    }
    if entry is None:
        return _console(clock, fields, {}, error="no HTTP listener takes this request")
    try:
        client = clients.get(f"console-{ip}", ip)
    except (SandboxViolation, ValueError) as error:
        return _console(clock, fields, {}, error=str(error))
    if command.get("forget_cookies"):
        client.cookies.clear()
    jar = {**client.cookies, **dict(command.get("cookies") or [])}
    headers = [(str(k), str(v)) for k, v in command.get("headers") or []]
    headers.append(("X-Amzn-Trace-Id", root))
    if jar:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
    node = entry.nodes[zlib.crc32(ip.encode()) % len(entry.nodes)]
    host = command.get("host") or entry.dns_name
    try:
        answer = await client.request(
            node, fields["method"], url, host, headers, within=WAIT_SECONDS, tls=entry.tls
        )
    except ssl.SSLError as error:
        if tls_failed is not None:
            tls_failed(entry, ip, host.split(":")[0], error)
        return _console(
            clock, fields, client.cookies, error=tls_reason(error), tls_error=tls_code(error)
        )
    except (OSError, TimeoutError, httptools.HttpParserError) as error:
        return _console(clock, fields, client.cookies, error=f"{type(error).__name__}: {error}")
    return _console(
        clock,
        fields,
        client.cookies,
        status=answer.status,
        headers=[[k, v] for k, v in answer.headers],
        body=answer.body[:BODY_PREVIEW].decode("utf-8", "replace"),
        body_bytes=len(answer.body),
    )


def _console(clock: LabClock, fields: dict[str, Any], jar: dict[str, str], **more: Any) -> Console:
    return Console(
        t=round(clock.now(), 3), emitted=time.time(), cookies=dict(jar), **fields, **more
    )
