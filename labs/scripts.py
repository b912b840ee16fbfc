"""``lab run --script FILE.jsonl``: requests mixed with control steps at lab-clock times.

A line with ``"url"`` is a request (the ``--requests`` format); a line with ``"do"`` is a
step, applied at ``"at"`` lab seconds after the run started::

    {"at": 30, "do": "fault", "target": "Web1", "fault": "hang"}
    {"at": 60, "do": "deregister", "target": "Web1"}            # target_group: if several
    {"at": 90, "do": "register", "target": "10.0.1.10:80", "target_group": "WebTargets"}
    {"at": 40, "do": "scale", "group": "WebGroup", "desired": 4}
    {"at": 50, "do": "az-loss", "az": "us-east-1a"}              # that zone's instances fail
    {"at": 20, "do": "traffic", "rps": 5}
    {"at": 30, "do": "sg", "security_group": "WebSecurityGroup", "change": "revoke"}
    {"at": 60, "do": "sg", "security_group": "WebSecurityGroup", "change": "authorize"}
    {"at": 70, "do": "fault", "target": "WebGroup-3", "fault": "stopped"}  # a launched one
    {"at": 120, "do": "stop"}                                     # the run ends here

Each step becomes the control command the run page sends and is checked by the same
``services.checked_command``; the runtime answers with its ``fault`` event, whose ``by``
is ``script:<line>``, so the output says which step each change came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from labs import services
from labs.engine.spec import Topology

STEPS = ("fault", "deregister", "register", "scale", "az-loss", "traffic", "sg", "stop")
MAX_AT = 3600.0  # lab seconds
_FIELDS = {
    "fault": {"target", "fault", "az"},
    "deregister": {"target", "target_group"},
    "register": {"target", "target_group"},
    "scale": {"group", "desired"},
    "az-loss": {"az"},
    "traffic": {"rps", "paused", "clients", "keep_alive", "mix"},
    "sg": {"security_group", "change"},
    "stop": set(),
}


class ScriptError(ValueError):
    """A bad line: ``where`` (file:line) and the problem."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Step:
    line: int
    at: float
    command: dict[str, Any] | None  # None: stop

    @property
    def by(self) -> str:
        return f"script:{self.line}"


def split(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The script's request lines (as text, for the request parser) and its steps (raw)."""
    requests: list[str] = []
    steps: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            requests.append("")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ScriptError(f"{source}:{number}", f"not valid JSON: {exc.msg}") from None
        except RecursionError:
            raise ScriptError(f"{source}:{number}", "nested too deeply") from None
        if isinstance(item, dict) and "do" in item:
            requests.append("")  # keeps the request parser's line numbers right
            steps.append((number, item))
        else:
            requests.append(line)
    return requests, steps


def step(number: int, item: dict[str, Any], topology: Topology, source: str) -> Step:
    """One step, checked as the run page's command is; raises ``ScriptError``."""
    where = f"{source}:{number}"
    do = item.get("do")
    if do not in STEPS:
        raise ScriptError(where, f'"do" must be one of {", ".join(STEPS)}, not {do!r}')
    unknown = set(item) - _FIELDS[str(do)] - {"do", "at"}
    if unknown:
        raise ScriptError(
            where,
            f"unknown field(s) {', '.join(sorted(unknown))} for {do}; "
            f"known: {', '.join(sorted(_FIELDS[str(do)] | {'at'}))}",
        )
    at = item.get("at", 0)
    if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at <= MAX_AT:
        raise ScriptError(where, f'"at" must be a number of lab seconds from 0 to {MAX_AT:g}')
    if do == "stop":
        return Step(number, float(at), None)
    command = _command(where, str(do), item, topology)
    try:
        checked = services.checked_command(topology, command)
    except ValidationError as error:
        raise ScriptError(where, " ".join(str(m) for m in error.messages)) from None
    return Step(number, float(at), checked)


def _command(where: str, do: str, item: dict[str, Any], topology: Topology) -> dict[str, Any]:
    if do == "fault":
        if "az" in item:
            return {"action": "fault", "az": item["az"], "mode": item.get("fault")}
        if _launched_name(item, topology):
            return {"action": "fault", "instance": item["target"], "mode": item.get("fault")}
        return {
            "action": "fault",
            "target": _address(where, item, topology),
            "mode": item.get("fault"),
        }
    if do == "az-loss":
        return {"action": "fault", "az": item.get("az"), "mode": "stopped"}
    if do in ("deregister", "register"):
        address = _address(where, item, topology)
        group = item.get("target_group")
        if group is None:
            groups = [
                g.name for g in topology.target_groups if address in {t.address for t in g.targets}
            ]
            if len(groups) != 1:
                raise ScriptError(
                    where,
                    f"{address} is a target of {', '.join(groups) or 'no target group'}: "
                    'name its "target_group"',
                )
            group = groups[0]
        return {"action": do, "target_group": group, "target": address}
    if do == "scale":
        return {"action": "scale", "group": item.get("group"), "desired": item.get("desired")}
    if do == "sg":
        return {
            "action": "sg",
            "security_group": item.get("security_group"),
            "change": item.get("change"),
        }
    return {"action": "traffic", **{k: v for k, v in item.items() if k not in ("do", "at")}}


def _launched_name(item: dict[str, Any], topology: Topology) -> bool:
    """Whether ``target`` names an instance an Auto Scaling group launches at run time
    (``WebGroup-3``): the template has no address for it, the run finds it by its id."""
    target = item.get("target")
    if not isinstance(target, str) or ":" in target:
        return False
    if any(t.id == target for g in topology.target_groups for t in g.targets):
        return False
    prefix, _sep, number = target.rpartition("-")
    return number.isdigit() and prefix in {g.name for g in topology.auto_scaling_groups}


def _address(where: str, item: dict[str, Any], topology: Topology) -> str:
    """``target`` as "ip:port": given so, or an instance's logical id (Web1)."""
    target = item.get("target")
    if not isinstance(target, str):
        raise ScriptError(where, '"target" must be an instance\'s logical id or "ip:port"')
    if ":" in target:
        return target
    for group in topology.target_groups:
        for candidate in group.targets:
            if candidate.id == target and candidate.ip:
                return candidate.address
    names = sorted({t.id for g in topology.target_groups for t in g.targets if t.ip})
    raise ScriptError(where, f"{target!r} is not an instance of this run: {', '.join(names)}")
