"""``python manage.py lab run TEMPLATE``: a whole lab run in this process, no worker.

For scripts and graders: every event is printed as one JSON line (``--json``), in the
same shape the browser receives. ``--requests`` replays exactly the given requests (one
JSON object a line) instead of generated traffic and ends once they are all answered.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import uvloop
from django.core.management.base import BaseCommand, CommandError, CommandParser

from labs.cfn import TemplateError, load_topology
from labs.engine.events import RunStatus
from labs.runtime.orchestrator import Event, LabRuntime, RunOptions, ScriptedRequest

_REQUEST_FIELDS = {"url", "method", "headers", "body", "client_ip", "client", "lb", "wait"}


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
            raise CommandError(f"{where}: not valid JSON: {exc.msg}", returncode=2) from None
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise CommandError(f'{where}: each line needs a "url" string', returncode=2)
        unknown = set(item) - _REQUEST_FIELDS
        if unknown:
            raise CommandError(
                f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_REQUEST_FIELDS))}",
                returncode=2,
            )
        headers = item.get("headers") or {}
        if not isinstance(headers, dict):
            raise CommandError(f'{where}: "headers" must be an object', returncode=2)
        requests.append(
            ScriptedRequest(
                url=item["url"],
                method=str(item.get("method", "GET")).upper(),
                headers=tuple((str(k), str(v)) for k, v in headers.items()),
                body=str(item.get("body", "")).encode(),
                client_ip=item.get("client_ip"),
                client=item.get("client"),
                lb=item.get("lb"),
                wait=float(item.get("wait", 0)),
            )
        )
    return tuple(requests)


class Command(BaseCommand):
    help = "Run a lab topology in this process and print its events."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run a CloudFormation template")
        run.add_argument("template", help="CloudFormation YAML or JSON file")
        run.add_argument(
            "--duration",
            type=float,
            default=None,
            help="wall-clock seconds (default 10; with --requests: until answered, at most 300)",
        )
        run.add_argument(
            "--rps",
            type=float,
            default=None,
            help="generated requests per second (default: the template's)",
        )
        run.add_argument(
            "--requests",
            default=None,
            help="JSON lines of requests to send instead of generated traffic",
        )
        run.add_argument(
            "--clock", type=float, default=10.0, help="lab clock speed, 1 to 30 (default 10)"
        )
        run.add_argument("--seed", type=int, default=None, help="seed for repeatable runs")
        run.add_argument("--json", action="store_true", help="print every event as JSON lines")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["template"])
        try:
            topology = load_topology(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}", returncode=2) from None
        except TemplateError as exc:
            raise CommandError(f"{path} is not a valid topology:\n{exc}", returncode=2) from None
        if not 1 <= options["clock"] <= 30:
            raise CommandError("--clock must be from 1 to 30", returncode=2)
        if options["rps"] is not None and not 0 < options["rps"] <= 10_000:
            raise CommandError("--rps must be more than 0 and at most 10000", returncode=2)
        requests = None
        if options["requests"]:
            source = Path(options["requests"])
            try:
                text = source.read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"{source}: {exc.strerror}", returncode=2) from None
            requests = parse_requests(text, str(source))
        duration = options["duration"] or (300.0 if requests is not None else 10.0)
        run_options = RunOptions(
            duration=duration,
            clock_speed=options["clock"],
            rps=options["rps"],
            requests=requests,
            seed=options["seed"],
        )
        printer = _JsonPrinter() if options["json"] else _TextPrinter(self.stdout.write)
        uvloop.run(_run(topology, run_options, printer))


async def _run(topology: Any, options: RunOptions, printer: Any) -> None:
    async def emit(batch: list[Event]) -> None:
        for event in batch:
            printer(event)

    def status(t: float, state: str, reason: str | None = None, **more: Any) -> None:
        printer(
            RunStatus(t=round(t, 3), emitted=time.time(), state=state, reason=reason, **more).wire()
        )

    status(0.0, "starting")
    stop = asyncio.Event()
    async with LabRuntime(topology, options, emit, sample_requests=False) as lab:
        status(lab.now(), "running")
        await lab.run(stop)
        reason = "requests-answered" if options.requests is not None else "time-limit"
        status(lab.now(), "stopping", reason)
    status(lab.now(), "finished", reason, summary=lab.summary())


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
        elif kind == "run.status":
            self._write(f"{event['t']:9.3f}  run {event['state']} {event.get('reason') or ''}")
            if "summary" in event:
                self._write(json.dumps(event["summary"], indent=2))
