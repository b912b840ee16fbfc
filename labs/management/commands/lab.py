"""``python manage.py lab run TEMPLATE``: a whole lab run in this process, no worker.

For scripts and graders: every event is printed as one JSON line (``--json``), in the
same shape the browser receives. ``--requests`` replays exactly the given requests (one
JSON object a line) instead of generated traffic and ends once they are all answered.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop
from django.core.management.base import BaseCommand, CommandError, CommandParser

from labs import messages, scripts
from labs.cfn import TemplateError, load_topology, runnable
from labs.engine.events import Fault, RunStatus, TlsNegotiationError
from labs.runtime.orchestrator import ControlError, Event, LabRuntime, RunOptions, ScriptedRequest
from labs.runtime.traffic import Answer

_REQUEST_FIELDS = {"url", "method", "headers", "body", "client_ip", "client", "lb", "wait"}
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.6.2: methods, header names
_MAX_WAIT = 3600.0  # lab seconds
_MAX_DURATION = 3600.0  # wall seconds

EXIT_CODES = """exit codes:
  0  the run finished; with --requests, every request was sent and answered
     (an answer may be an error status from the load balancer: that is an answer)
  1  with --requests, some requests were not sent or got no answer; each is named on
     stderr and in the final run.status event's summary ("script")
  2  bad input: the template, an option or a --requests line (named), or a topology
     the playground cannot run yet (e.g. a Classic LB with two instance ports); nothing ran"""


def _bad(where: str, problem: str) -> CommandError:
    return CommandError(f"{where}: {problem}", returncode=2)


def _url(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(where, 'each line needs a "url" string')
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError as exc:  # a port that is not a number from 0 to 65535
        raise _bad(where, f'"url" {value!r}: {exc}') from None
    if url.scheme not in ("http", "https"):
        raise _bad(where, f'"url" {value!r} must start with http:// or https://')
    if port == 0:
        raise _bad(where, f'"url" {value!r}: port 0 is not a port')
    if not value.isascii() or any(c in value for c in " \r\n\t"):
        raise _bad(where, f'"url" {value!r} must be ASCII without spaces (percent-encode)')
    return value


def _headers(where: str, value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise _bad(where, '"headers" must be an object')
    headers = []
    for name, raw in value.items():
        if not _TOKEN.fullmatch(name):
            raise _bad(where, f"header name {name!r} is not a valid HTTP token")
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            raise _bad(where, f"header {name!r} must be a string")
        text = str(raw)
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise _bad(
                where, f"header {name!r} is not Latin-1 text (HTTP/1.1 sends bytes)"
            ) from None
        if any(c in text for c in "\r\n\0"):
            raise _bad(where, f"header {name!r} contains a line break")
        headers.append((name, text))
    return tuple(headers)


def _wait(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(where, f'"wait" must be a number of lab seconds, not {value!r}')
    if not 0 <= value <= _MAX_WAIT:  # also refuses NaN
        raise _bad(where, f'"wait" must be from 0 to {_MAX_WAIT:g} lab seconds')
    return float(value)


def _client_ip(where: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise _bad(
            where, f'"client_ip" {value!r} must be an IPv4 address (the sandbox has no IPv6)'
        ) from None


def _optional_str(where: str, item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad(where, f'"{key}" must be a string')
    return value


def _request(where: str, item: Any) -> ScriptedRequest:
    if not isinstance(item, dict):
        raise _bad(where, 'each line needs a "url" string')
    unknown = set(item) - _REQUEST_FIELDS
    if unknown:
        raise _bad(
            where,
            f"unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_REQUEST_FIELDS))}",
        )
    url = _url(where, item.get("url"))
    method = str(item.get("method", "GET")).upper()
    if not _TOKEN.fullmatch(method):
        raise _bad(where, f'"method" {method!r} is not an HTTP method')
    body = item.get("body", "")
    if not isinstance(body, str):
        raise _bad(where, '"body" must be a string')
    try:
        # \udc80-\udcff stand for the raw bytes 0x80-0xff: a body need not be UTF-8.
        raw = body.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise _bad(
            where,
            f'"body" holds {body[exc.start]!r}, a lone surrogate that is no character '
            "(write raw bytes 0x80-0xff as \\udc80-\\udcff)",
        ) from None
    return ScriptedRequest(
        url=url,
        method=method,
        headers=_headers(where, item.get("headers") or {}),
        body=raw,
        client_ip=_client_ip(where, item.get("client_ip")),
        client=_optional_str(where, item, "client"),
        lb=_optional_str(where, item, "lb"),
        wait=_wait(where, item.get("wait", 0)),
    )


def parse_requests(text: str, source: str) -> tuple[ScriptedRequest, ...]:
    """JSON lines → scripted requests; a bad line raises ``CommandError`` naming it."""
    requests = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _bad(where, f"not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise _bad(where, "nested too deeply") from None
        requests.append(_request(where, item))
    return tuple(requests)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}", returncode=2) from None
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            returncode=2,
        ) from None


def parameter(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` of ``--parameter``, as the AWS CLI's ``ParameterKey=…`` is read."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.strip(), value


def _finite(text: str) -> float:
    """argparse type: a finite number (``nan`` and ``inf`` are not durations)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


class Command(BaseCommand):
    help = "Run a lab topology in this process and print its events (exit codes: lab run -h)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "run",
            help="run a CloudFormation template",
            epilog=EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        run.add_argument("template", help="CloudFormation YAML or JSON file")
        run.add_argument(
            "--duration",
            type=_finite,
            default=None,
            help="wall-clock seconds (default 10; with --requests: until answered, at most 300)",
        )
        run.add_argument(
            "--rps",
            type=_finite,
            default=None,
            help="generated requests per second (default: the template's)",
        )
        run.add_argument(
            "--requests",
            default=None,
            help="JSON lines of requests to send instead of generated traffic",
        )
        run.add_argument(
            "--script",
            default=None,
            help="JSON lines of requests and control steps at lab times "
            '(e.g. {"at": 30, "do": "fault", "target": "Web1", "fault": "hang"})',
        )
        run.add_argument(
            "--clock", type=_finite, default=10.0, help="lab clock speed, 1 to 30 (default 10)"
        )
        run.add_argument("--seed", type=int, default=None, help="seed for repeatable runs")
        run.add_argument("--json", action="store_true", help="print every event as JSON lines")
        run.add_argument(
            "--parameter",
            action="append",
            default=[],
            type=parameter,
            metavar="KEY=VALUE",
            help="a template parameter's value (repeatable; an Fn::ImportValue name too)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["template"])
        try:
            topology = load_topology(_read_text(path), parameters=dict(options["parameter"]))
        except TemplateError as exc:
            raise CommandError(f"{path} is not a valid topology:\n{exc}", returncode=2) from None
        reason = runnable(topology)
        if reason:
            raise CommandError(
                f"{path}: the playground cannot run this topology yet "
                f"({messages.not_runnable(reason)})",
                returncode=2,
            )
        if not 1 <= options["clock"] <= 30:
            raise CommandError("--clock must be from 1 to 30", returncode=2)
        if options["rps"] is not None and not 0 < options["rps"] <= 10_000:
            raise CommandError("--rps must be more than 0 and at most 10000", returncode=2)
        if options["duration"] is not None and not 0 < options["duration"] <= _MAX_DURATION:
            raise CommandError(
                f"--duration must be more than 0 and at most {_MAX_DURATION:g} seconds",
                returncode=2,
            )
        requests = None
        steps: list[scripts.Step] = []
        if options["requests"] and options["script"]:
            raise CommandError("use --requests or --script, not both", returncode=2)
        if options["requests"]:
            source = Path(options["requests"])
            requests = parse_requests(_read_text(source), str(source))
        if options["script"]:
            source = Path(options["script"])
            try:
                lines, raw_steps = scripts.split(_read_text(source), str(source))
                steps = [scripts.step(n, item, topology, str(source)) for n, item in raw_steps]
            except scripts.ScriptError as exc:
                raise _bad(exc.where, exc.problem) from None
            requests = parse_requests("\n".join(lines), str(source)) or None
        duration = options["duration"] or (300.0 if requests is not None or steps else 10.0)
        run_options = RunOptions(
            duration=duration,
            clock_speed=options["clock"],
            rps=options["rps"],
            requests=requests,
            seed=options["seed"],
            hold=bool(steps),
        )
        printer = _JsonPrinter() if options["json"] else _TextPrinter(self.stdout.write)
        failures = uvloop.run(_run(topology, run_options, printer, steps))
        for failure in failures:
            self.stderr.write(
                f"request {failure['request']} ({failure['url']}): {failure['error']}"
            )
        if failures:
            raise CommandError(
                f"{len(failures)} of {len(requests or ())} requests were not answered",
                returncode=1,
            )


async def _run(
    topology: Any, options: RunOptions, printer: Any, steps: list[scripts.Step] | None = None
) -> list[dict[str, Any]]:
    """Run the lab; returns the scripted requests that were not sent or not answered."""

    async def emit(batch: list[Event]) -> None:
        for event in batch:
            printer(event)

    def status(t: float, state: str, reason: str | None = None, **more: Any) -> None:
        printer(
            RunStatus(t=round(t, 3), emitted=time.time(), state=state, reason=reason, **more).wire()
        )

    status(0.0, "starting")
    stop = asyncio.Event()
    async with LabRuntime(topology, options, emit, sample_events=False) as lab:
        status(lab.now(), "running")
        ended: list[str] = []
        if steps:
            script = asyncio.get_running_loop().create_task(_play_steps(lab, steps, stop, ended))
        await lab.run(stop)
        if steps and not script.done():
            script.cancel()
        reason = "requests-answered" if options.requests is not None else "time-limit"
        if ended:
            reason = ended[0]
        failures = _failures(options.requests or (), lab.answers)
        if failures:
            reason = "requests-failed"
        status(lab.now(), "stopping", reason)
    summary = lab.summary()
    if options.requests is not None:
        summary["script"] = {
            "requests": len(options.requests),
            "answered": len(options.requests) - len(failures),
            "errors": failures,
        }
    status(lab.now(), "finished", reason, summary=summary)
    return failures


async def _play_steps(
    lab: LabRuntime, steps: list[scripts.Step], stop: asyncio.Event, ended: list[str]
) -> None:
    """Apply each step at its lab time, as the worker applies a learner's command; then
    end the run (at a ``stop`` step, or once the scripted requests are answered too)."""
    for step in sorted(steps, key=lambda s: (s.at, s.line)):
        await lab.clock.sleep(max(0.0, step.at - lab.now()))
        if step.command is None:
            ended.append("script-stopped")
            stop.set()
            return
        try:
            lab.control(step.command, step.by)
        except ControlError as error:  # the run's present state refused it: say so, go on
            lab.report(
                Fault(
                    t=round(lab.now(), 3),
                    emitted=time.time(),
                    action=str(step.command.get("action")),
                    by=step.by,
                    error=error.code,
                    message=error.message,
                )
            )
    if lab.options.requests is not None:  # else: generated traffic, until --duration
        await lab.requests_done.wait()
        ended.append("requests-answered")
        stop.set()


def _failures(script: tuple[ScriptedRequest, ...], answers: list[Answer]) -> list[dict[str, Any]]:
    """Every scripted request without an answer: its error, or that it was never sent. A
    failed TLS handshake carries its ``tls.error`` event, so its reason stays structured."""
    failures = []
    for number, item in enumerate(script):
        answer = answers[number] if number < len(answers) else "not sent: the run ended first"
        if isinstance(answer, TlsNegotiationError):
            failures.append(
                {
                    "request": number + 1,
                    "url": item.url,
                    "error": f"TLS handshake with {answer.host} failed ({answer.code}): "
                    f"{answer.reason}",
                    "tls_error": answer.wire(),
                }
            )
        elif isinstance(answer, str):
            failures.append({"request": number + 1, "url": item.url, "error": answer})
    return failures


class _JsonPrinter:
    def __call__(self, event: Event) -> None:
        sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")


class _TextPrinter:
    def __init__(self, write: Any) -> None:
        self._write = write

    def __call__(self, event: Event) -> None:
        kind = event["type"]
        if kind == "request":
            self._write(
                f"{event['t']:9.3f}  {event['client_ip']:>15} → {event['method']} "
                f"{event['path']}  rule={event['rule']}  "
                f"target={event['target'] or '-'}  {event['elb_status_code']}  "
                f"({event['reason'] or event['error_reason']})"
            )
        elif kind == "health":
            self._write(
                f"{event['t']:9.3f}  health {event['target']}: {event['state']} "
                f"{event['reason'] or ''}"
            )
        elif kind == "tls.error":
            self._write(
                f"{event['t']:9.3f}  {event['client_ip']:>15} → TLS {event['host']}:"
                f"{event['listener']} failed ({event.get('code') or '-'}): {event['reason']}"
            )
        elif kind == "run.status":
            self._write(f"{event['t']:9.3f}  run {event['state']} {event.get('reason') or ''}")
            if "summary" in event:
                self._write(json.dumps(event["summary"], indent=2))
