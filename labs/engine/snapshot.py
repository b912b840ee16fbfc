"""What a run page needs when it (re)connects, folded from the batches a run emits.

DESIGN.md's ``snapshot`` event. The worker folds every batch into a ``RunView`` just
before it sends the batch, numbering it (``seq``); a viewer that connects asks the worker
for ``snapshot()`` and gets the number of the last batch it includes. Batches numbered up
to it are in the snapshot; later ones follow it on the stream, so nothing is counted
twice or missed.

The view keeps counts (every ``request`` event: exact unless traffic outran the browser
and the worker sampled), the newest checks per target (not of an instance Auto Scaling
terminated), the newest requests, flows, faults and Auto Scaling activities (the Faults
log), console answers and TLS handshake failures, and the ``metrics`` events of the last
minutes (the charts' series).
"""

from collections import Counter, deque

from .events import Snapshot, Wire

REQUESTS = 25  # the run page's "latest requests"
FLOWS = 25  # the run page's "latest flows"
FAULTS = 50  # the run page's Faults log: the changes learners made
CONSOLES = 10  # console answers: a page that reloads shows its own last one again
TLS_ERRORS = 10  # tls.error events: the run page lists the last ten failed handshakes
CHECKS = 5  # health events kept per target: its last checks
SECONDS = 600  # metrics events kept: the charts' ten minutes


class RunView:
    def __init__(
        self, *, requests: int = REQUESTS, checks: int = CHECKS, seconds: int = SECONDS
    ) -> None:
        self.seq = 0  # the number of the last batch folded in
        self.counts: Counter[str] = Counter()
        self._requests: deque[Wire] = deque(maxlen=requests)
        self._flows: deque[Wire] = deque(maxlen=FLOWS)
        self._checks = checks
        self._health: dict[tuple[str, str], deque[Wire]] = {}
        self._metrics: deque[Wire] = deque(maxlen=seconds)
        self._faults: deque[Wire] = deque(maxlen=FAULTS)
        self._consoles: deque[Wire] = deque(maxlen=CONSOLES)
        self._tls_errors: deque[Wire] = deque(maxlen=TLS_ERRORS)
        # The request event of each console answer kept (by its trace Root), for its trace;
        # a Root whose request has not come yet waits in _awaiting.
        self._console_requests: dict[str, Wire] = {}
        self._awaiting: set[str] = set()
        # Instances an Auto Scaling group terminated (virtual ips): a page that joins later
        # does not list them, as the console no longer lists a terminated instance.
        self._terminated: set[str] = set()

    def fold(self, batch: list[Wire]) -> int:
        """Take in one batch (wire objects, as sent); returns the batch's number."""
        for event in batch:
            kind = event.get("type")
            if kind == "request":
                self._request(event)
            elif kind == "flow":
                self._flow(event)
            elif kind == "health":
                key = (event["target_group"], event["target"])
                self._health.setdefault(key, deque(maxlen=self._checks)).append(event)
            elif kind == "metrics":
                self._metrics.append(event)
            elif kind == "fault":
                self._faults.append(event)
            elif kind == "autoscaling":
                # In the Faults log beside the changes; a terminated instance's rows go.
                self._faults.append(event)
                if event.get("activity") == "Terminated" and event.get("target"):
                    self._terminated.add(str(event["target"]))
            elif kind == "console":
                self._console(event)
            elif kind == "tls.error":
                # Counted as ClientTLSNegotiationErrorCount is, beyond the ones kept.
                self.counts["tls_errors"] += 1
                self._tls_errors.append(event)
        self.seq += 1
        return self.seq

    def _request(self, event: Wire) -> None:
        self.counts["requests"] += 1
        self.counts[f"status:{event['elb_status_code']}"] += 1
        if event.get("target") is not None:
            self.counts[f"target:{event.get('target_group') or ''}/{event['target']}"] += 1
        self._requests.append(event)
        if self._awaiting:
            root = trace_root(event)
            if root in self._awaiting:
                self._awaiting.discard(root)
                self._console_requests[root] = event

    def _console(self, event: Wire) -> None:
        self._consoles.append(event)
        root = event.get("trace_root") or ""
        if not root:
            return
        found = next((r for r in reversed(self._requests) if trace_root(r) == root), None)
        if found is None:
            self._awaiting.add(root)
        else:
            self._console_requests[root] = found
        kept = {c.get("trace_root") for c in self._consoles}
        self._awaiting &= kept
        for gone in set(self._console_requests) - kept:
            del self._console_requests[gone]

    def _flow(self, event: Wire) -> None:
        if starts_flow(event):
            self.counts["flows"] += 1
        self._flows.append(event)

    def snapshot(self, t: float, emitted: float) -> Snapshot:
        """Everything folded so far (up to batch ``seq``), as a ``snapshot`` event."""
        return Snapshot(
            t=round(t, 3),
            emitted=emitted,
            counts=dict(self.counts),
            health=[
                event
                for (_group, target), checks in self._health.items()
                if target.rpartition(":")[0] not in self._terminated
                for event in checks
            ],
            requests=list(self._requests),
            series={"metrics": list(self._metrics)},
            flows=list(self._flows),
            faults=list(self._faults),
            consoles=list(self._consoles),
            console_requests=list(self._console_requests.values()),
            tls_errors=list(self._tls_errors),
        )


def starts_flow(event: Wire) -> bool:
    """Whether a ``flow`` event is a new flow: an NLB/Classic connection or UDP flow opening
    (as the run summary's ``flows`` counts them), or a GWLB packet the hash placed (not one
    of a flow the gateway already knew)."""
    if event.get("state") == "open":
        return True
    reason = event.get("reason") or ""
    return event.get("inner") is not None and not reason.startswith("existing_flow")


def trace_root(event: Wire) -> str:
    """The ``Root=...`` part of a request's X-Amzn-Trace-Id (a console answer's key)."""
    for part in str(event.get("trace_id") or "").split(";"):
        if part.startswith("Root="):
            return part
    return ""
