"""Active health checks, as a load balancer node sends them (spec §3.2).

A TCP check (the NLB default) passes when the connection is accepted within the
timeout, and closes it at once. An HTTP check opens a new connection from the checking
node's address, sends ``GET <path>`` with ``Host: <target ip>:<port>`` and
``User-Agent: ELB-HealthChecker/2.0``, reads the status line within the timeout and
closes. The interval is measured
check-to-check on the lab clock. Results go to the engine's state machine; the checker
only reports what the engine decides.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from labs.engine import classic, health
from labs.engine.events import Health
from labs.engine.spec import HealthCheck, Target, TargetGroup

from .clock import LabClock
from .sandbox import Sandbox
from .tls import unverified_client

Report = Callable[[Health], None]


@dataclass(slots=True, kw_only=True)
class Probe:
    """One check's outcome, before the engine turns it into health."""

    status: int | None
    latency_ms: float  # wall ms from ``probe``; lab ms once ``check_once`` scales it
    error: str | None
    passed: bool | None = None  # the engine's verdict, once ``check_once`` has judged it


async def probe(
    endpoint: tuple[str, int],
    source_host: str,
    target: Target,
    port: int,
    check: HealthCheck,
    within: float,
    host: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> Probe:
    """Run one HTTP check against ``endpoint`` (real socket) from ``source_host``, with
    ``Host: host`` (default: the target's IP and ``port``, as an ALB sends it); over TLS
    with ``tls`` (a Classic HTTPS check)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    writer = None
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(
                *endpoint, local_addr=(source_host, 0), ssl=tls
            )
            writer.write(
                f"GET {check.path} HTTP/1.1\r\nHost: {host or f'{target.ip}:{port}'}\r\n"
                "User-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n".encode()
            )
            status_line = await reader.readline()
        elapsed = (loop.time() - started) * 1000
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            return Probe(status=None, latency_ms=elapsed, error="malformed response")
        return Probe(status=int(parts[1]), latency_ms=elapsed, error=None)
    except TimeoutError:
        return Probe(status=None, latency_ms=within * 1000, error="timeout")
    except OSError as exc:
        return Probe(
            status=None,
            latency_ms=(loop.time() - started) * 1000,
            error=exc.strerror or type(exc).__name__,
        )
    finally:
        if writer is not None:
            writer.close()


async def tcp_probe(
    endpoint: tuple[str, int], source_host: str, within: float, tls: ssl.SSLContext | None = None
) -> Probe:
    """Run one TCP check: the handshake completes in time, or it fails; with ``tls`` (a
    Classic SSL check) the TLS handshake must complete too."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(
                *endpoint, local_addr=(source_host, 0), ssl=tls
            )
    except TimeoutError:
        return Probe(status=None, latency_ms=within * 1000, error="timeout")
    except OSError as exc:
        elapsed = (loop.time() - started) * 1000
        return Probe(status=None, latency_ms=elapsed, error=exc.strerror or type(exc).__name__)
    writer.close()
    return Probe(status=None, latency_ms=(loop.time() - started) * 1000, error=None)


def judge(result: Probe, matches: Callable[[int], bool], at: float) -> health.CheckEvent:
    """The engine input for a probe result (reason codes per spec §3.4)."""
    if result.error == "timeout":
        return health.CheckFailed(
            at=at,
            reason=health.TIMEOUT,
            description="Request timed out",
            latency_ms=result.latency_ms,
        )
    if result.status is None and result.error is None:
        return health.CheckPassed(at=at, latency_ms=result.latency_ms)  # a TCP check
    if result.status is None:
        return health.CheckFailed(
            at=at,
            reason=health.FAILED_HEALTH_CHECKS,
            description=f"Health checks failed: {result.error}",
            latency_ms=result.latency_ms,
        )
    if not matches(result.status):
        return health.CheckFailed(
            at=at,
            reason=health.RESPONSE_CODE_MISMATCH,
            status=result.status,
            description=f"Health checks failed with these codes: [{result.status}]",
            latency_ms=result.latency_ms,
        )
    return health.CheckPassed(at=at, status=result.status, latency_ms=result.latency_ms)


class TargetChecker:
    """Checks one target of one target group, forever, and keeps its health."""

    def __init__(
        self,
        group: TargetGroup,
        target: Target,
        source_host: str,
        sandbox: Sandbox,
        clock: LabClock,
        states: dict[str, str],
        report: Report,
        host: str | None = None,
    ) -> None:
        self.group = group
        self._host = host  # the HTTP check's Host header (None: the target's ip:port)
        self.target = target
        self.health = health.TargetHealth()
        self._source_host = source_host
        self._sandbox = sandbox
        self._clock = clock
        self._states = states  # shared with the proxy: target -> state
        self._report = report
        self._matches = health.parse_matcher(group.health_check.matcher)
        self._tls: ssl.SSLContext | None = None  # plain checks (ALB, NLB): see InstanceChecker
        check = group.health_check
        self._port = target.port if check.port == "traffic-port" else int(check.port)
        self._address = f"{target.ip}:{self._port}"
        self._draining: asyncio.TimerHandle | None = None  # an unhealthy.draining interval
        states[target.address] = self.health.state

    def announce(self) -> None:
        """The registration event: the target starts ``initial``."""
        self._report(self._event(None, None))

    def apply(self, event: health.HealthEvent, result: Probe | None = None) -> bool:
        """Step the engine's health table and report the outcome. Returns whether the
        state changed.

        Raises:
            health.HealthRefused: the target's state has no row for ``event``.
        """
        previous = self.health.state
        self.health, change = health.step(self.health, event, self.group.health_check)
        self._states[self.target.address] = self.health.state
        self._report(self._event(previous, result))
        if change is not None:
            self._time_draining()
        return change is not None

    def _time_draining(self) -> None:
        """An ``unhealthy.draining`` target becomes ``unhealthy`` when its draining
        interval (lab clock) ends, unless it changed state before that."""
        if self._draining is not None:
            self._draining.cancel()
            self._draining = None
        seconds = self.group.health_check.unhealthy_draining_seconds
        if self.health.state != health.UNHEALTHY_DRAINING or seconds is None:
            return
        self._draining = asyncio.get_running_loop().call_later(
            self._clock.wall(seconds),
            lambda: self.apply(health.DrainingIntervalExpired(at=self._clock.now())),
        )

    async def check_once(self) -> bool:
        """One probe, one engine step, one event. Returns whether the state changed."""
        if self.health.state == health.UNUSED:
            return False  # not eligible (an LB's own IP...): nothing is probed
        check = self.group.health_check
        endpoint = self._sandbox.endpoint(self._address)
        within = self._clock.wall(check.timeout_seconds)
        if check.protocol in ("TCP", "SSL"):
            result = await tcp_probe(endpoint, self._source_host, within, self._tls)
        else:
            result = await probe(
                endpoint,
                self._source_host,
                self.target,
                self._port,
                check,
                within,
                self._host,
                self._tls,
            )
        # Latency in lab time, the clock of HealthCheckTimeoutSeconds: a timed-out check
        # reads as the timeout the learner set, whatever the clock speed.
        result = replace(result, latency_ms=result.latency_ms * self._clock.speed)
        verdict = judge(result, self._matches, self._clock.now())
        return self.apply(verdict, replace(result, passed=isinstance(verdict, health.CheckPassed)))

    async def check_or_fail(self) -> bool:
        """``check_once``, but a failure of the checker itself (not of the target) is
        reported as AWS reports it: ``unavailable`` / ``Elb.InternalError``."""
        try:
            return await self.check_once()
        except Exception as exc:  # whatever broke, the target's health is unknown
            failed = health.CheckerFailed(
                at=self._clock.now(),
                description=f"Health checks failed due to an internal error: {type(exc).__name__}",
            )
            try:
                return self.apply(failed)
            except health.HealthRefused:
                return False

    async def run(self, first_done: Callable[[], None] = lambda: None) -> None:
        """Check forever, one interval apart; ``first_done`` is called after the first."""
        interval = self.group.health_check.interval_seconds
        started = self._clock.now()
        try:
            await self.check_or_fail()
            first_done()
            while True:
                await self._clock.sleep(max(0.0, interval - (self._clock.now() - started)))
                started = self._clock.now()
                await self.check_or_fail()
        finally:
            if self._draining is not None:  # the run ends: no timer outlives it
                self._draining.cancel()

    def _event(self, previous: str | None, result: Probe | None) -> Health:
        h = self.health
        return Health(
            t=round(self._clock.now(), 3),
            emitted=time.time(),
            target_group=self.group.name,
            target=self.target.address,
            instance=self.target.id,
            az=self.target.az,
            state=h.state,
            previous=previous,
            reason=h.reason,
            description=health.describe(h),
            check=None
            if result is None
            else {
                "status": result.status,
                "latency_ms": round(result.latency_ms, 2),
                "error": result.error,
                "passed": result.passed,
            },
        )


class InstanceChecker(TargetChecker):
    """Checks one instance of a Classic LB: the same probes, the CLB's own table (§8).

    The instance starts ``OutOfService`` (registration in progress) and events carry the
    state AWS shows (``InService`` / ``OutOfService``) with its ReasonCode and description.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.health = classic.registered()
        self._states[self.target.address] = self.health.state
        self._matches = health.parse_matcher("200")  # §8: HTTP(S) checks: only 200 OK
        # §8: an HTTPS or SSL check speaks TLS to the instance, not validating its certificate.
        if self.group.health_check.protocol in classic.TLS_INSTANCE_PROTOCOLS:
            self._tls = unverified_client()

    def apply(self, event: health.HealthEvent, result: Probe | None = None) -> bool:
        previous = self.health.state
        self.health, change = classic.step(self.health, event, self.group.health_check)
        self._states[self.target.address] = self.health.state
        self._report(self._event(classic.SHOWN[previous], result))
        return change is not None

    def _event(self, previous: str | None, result: Probe | None) -> Health:
        shown = super()._event(previous, result)
        return replace(shown, state=classic.SHOWN[self.health.state])

    async def run(self, first_done: Callable[[], None] = lambda: None) -> None:
        """Check forever; ``first_done`` once the registration is decided (in or out of
        service), which takes HealthyThreshold passes on a CLB, not one check."""
        interval = self.group.health_check.interval_seconds
        waiting = True
        while True:
            started = self._clock.now()
            await self.check_once()
            if waiting and self.health.description != classic.REGISTRATION_IN_PROGRESS:
                waiting = False
                first_done()
            await self._clock.sleep(max(0.0, interval - (self._clock.now() - started)))
