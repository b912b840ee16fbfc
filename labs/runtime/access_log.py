"""A run's access log: each request's fields kept as recorded, formatted when read.

Formatting a line (labs.engine.accesslog) costs more than the rest of what the event sink
does per request, and the lines are read only when the run ends (the download) or for the
few request events a batch sends. So the sink keeps each request's fields as one tuple,
taken from the exchange when it is absorbed (later changes to the exchange never reach
the log), and the line is formatted from it on demand: the same fields, the same line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from labs.engine import accesslog

from .exchange import Exchange

Fields = tuple[Any, ...]  # labs.engine.accesslog.line's arguments, in order


def fields(ex: Exchange) -> Fields:
    """What ``ex``'s access-log line is made of, read now."""
    dispatched = ex.t_dispatched >= 0 and ex.target is not None
    target_done = ex.t_target_done if ex.t_target_done >= 0 else ex.t_responded
    logged_target = ex.target if dispatched and ex.reason != "lambda" else None  # AWS: "-"
    kind = ex.protocol.lower()
    if ex.elb_status == 101:
        kind = "wss" if kind == "https" else "ws"
    tls = ex.tls
    error = ex.error_reason
    desync = ex.classification
    head = ex.head
    if head is None or ex.rule is None:
        client, request = f"{ex.client_ip}:{ex.client_port}", _request_line(ex)
    else:  # a repeated head (client_side.Head): the same client and request line
        logged = head.logged
        if logged is None:
            logged = head.logged = (f"{ex.client_ip}:{ex.client_port}", _request_line(ex))
        client, request = logged
    return (
        kind,
        ex.lb,
        client,
        logged_target,
        ex.wall_start,
        ex.wall_start + (ex.t_responded - ex.t_start),
        (ex.t_dispatched - ex.t_start) if dispatched else -1,
        (target_done - ex.t_dispatched) if dispatched else -1,
        (ex.t_responded - target_done) if dispatched else -1,
        ex.elb_status,
        ex.target_status,
        ex.received,
        ex.sent,
        request,
        ex.user_agent,
        ex.target_group,
        ex.trace_id,
        ex.rule if ex.rule is not None else "-",
        accesslog.executed(ex.action, getattr(ex.decision, "authentication", None) is not None),
        ex.redirect_url,
        error if error is not None and error.startswith(("Lambda", "Auth")) else None,
    ) + (  # one concatenation: a starred tuple display goes through a list
        _NO_TLS_NO_DESYNC
        if tls is None and desync is None
        else (
            *(
                _NO_TLS
                if tls is None
                else (tls[0], tls[1], tls[2], accesslog.certificate_arn(tls[3]))
            ),
            *((None, None) if desync is None else (desync.level, desync.reason)),
        )
    )


def line(ex: Exchange) -> str:
    """``ex``'s access-log line (AWS's ALB format)."""
    return accesslog.line(*fields(ex))


_NO_TLS = (None, None, None, None)
_NO_TLS_NO_DESYNC = (None, None, None, None, None, None)


def _request_line(ex: Exchange) -> str:
    where = _where(ex.protocol, ex.host, ex.listener_port)
    if ex.rule is None and ex.elb_status in _UNPARSED:
        # AWS logs a request it could not parse as "- scheme://host:port- -".
        return f"- {where}- -"
    return f"{ex.method} {where}{ex.url.decode('latin-1')} HTTP/{ex.version}"


_UNPARSED = frozenset({400, 408, 414, 501})


@lru_cache(maxsize=1024)
def _where(protocol: str, host: str, port: int) -> str:
    return f"{protocol.lower()}://{host.split(':')[0]}:{port}"


class AccessLog:
    """The newest ``maxlen`` requests' lines, oldest first: a sequence of ``str``."""

    def __init__(self, maxlen: int) -> None:
        self._records: deque[Fields] = deque(maxlen=maxlen)

    def append(self, record: Fields) -> None:
        self._records.append(record)

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: int) -> str:
        return accesslog.line(*self._records[index])

    def __iter__(self) -> Iterator[str]:
        return (accesslog.line(*record) for record in self._records)
