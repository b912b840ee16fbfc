"""Changing a running lab: deregistering targets, injecting faults, changing traffic.

Commands arrive from outside the run (the learner's buttons, through the worker's
control channel) as plain dicts, already checked against the run's template and limits
by the one check there is (``labs.services.checked_command``, which the worker calls on
every message); each is applied inside the run's loop and answered with the ``fault``
event it produced (DESIGN.md's event table), or refused with a ``ControlError`` when the
run's present state does not allow it (a target already registered, say).
Deregistration follows spec §2.6: the target gets no new requests at once and shows
``draining`` (``Target.DeregistrationInProgress``) for the group's
``deregistration_delay.timeout_seconds`` on the lab clock, then ``unused``
(``Target.NotRegistered``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from labs.engine import health, security
from labs.engine.attributes import deregistration_delay
from labs.engine.events import Fault
from labs.engine.spec import HealthCheck, IngressRule, SecurityGroup, TargetGroup

from .clock import LabClock
from .health_checker import InstanceChecker, TargetChecker
from .targets import TargetServer
from .traffic import MixItem, Rate

Fields = dict[str, Any]  # a handler's part of its ``fault`` event
MakeChecker = Callable[[TargetGroup, str], TargetChecker]


class ControlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Controller:
    def __init__(
        self,
        *,
        clock: LabClock,
        groups: dict[str, TargetGroup],
        addresses: dict[str, list[str]],
        checkers: dict[tuple[str, str], TargetChecker],
        servers: dict[str, TargetServer],
        rate: Rate,
        max_rps: float,
        make_checker: MakeChecker,
        spawn: Callable[[Any], asyncio.Task[Any]],
        report: Callable[[Fault], None],
    ) -> None:
        self._clock = clock
        self._groups = groups
        self._addresses = addresses
        self._checkers = checkers
        self._servers = servers
        self._rate = rate
        self._max_rps = max_rps
        self._make_checker = make_checker
        self._spawn = spawn
        self._report = report
        self._running: dict[tuple[str, str], asyncio.Task[Any]] = {}
        # The run's Auto Scaling groups' desired capacity: (group, desired, by) -> fields.
        self.scale: Callable[[str, int, str | None], Fields] | None = None
        self._by: str | None = None
        # The run's security groups as they are now (the targets' admission reads them on
        # every connection), the load balancers' groups and node addresses, the VPC's CIDR.
        self.security_groups: dict[str, SecurityGroup] = {}
        self.lb_groups: tuple[str, ...] = ()
        self.lb_ips: frozenset[str] = frozenset()
        self.vpc_cidr = "10.0.0.0/16"
        self._revoked: dict[str, tuple[IngressRule, ...]] = {}

    def watch(self, key: tuple[str, str], task: asyncio.Task[Any]) -> None:
        """Remember the checking task of a target, to end it on deregistration."""
        self._running[key] = task

    def apply(self, command: dict[str, Any], by: str | None = None) -> Fault:
        """Apply ``command`` (asked for by ``by``); report and return its ``fault`` event."""
        action = command.get("action") if isinstance(command, dict) else None
        handler = {
            "deregister": self._deregister,
            "register": self._register,
            "fault": self._fault,
            "traffic": self._traffic,
            "scale": self._scale,
            "sg": self._security_group,
        }.get(str(action))
        if handler is None:
            raise ControlError(
                "ValidationError",
                "action must be deregister, register, fault, traffic, scale or sg",
            )
        self._by = by
        fields = handler(command)
        event = Fault(
            t=round(self._clock.now(), 3),
            emitted=time.time(),
            action=str(action),
            by=by,
            **fields,
        )
        self._report(event)
        return event

    def _group_target(self, command: dict[str, Any]) -> tuple[TargetGroup, str]:
        group = self._groups.get(str(command.get("target_group")))
        if group is None:
            raise ControlError(
                "TargetGroupNotFound",
                f"no target group {command.get('target_group')!r} in this run",
            )
        target = str(command.get("target"))
        if target not in {t.address for t in group.targets}:
            raise ControlError("InvalidTarget", f"{target} is not a target of {group.name}")
        return group, target

    def _deregister(self, command: dict[str, Any]) -> Fields:
        group, target = self._group_target(command)
        registered = self._addresses[group.name]
        if target not in registered:
            raise ControlError("InvalidTarget", f"{target} is not registered in {group.name}")
        registered.remove(target)  # no new requests from now on
        checker = self._checkers[group.name, target]
        task = self._running.pop((group.name, target), None)
        if task is not None:
            task.cancel()
        checker.apply(health.Deregistered(at=self._clock.now()))
        delay = deregistration_delay(group.attributes)
        self._running[group.name, target] = self._spawn(self._finish_draining(checker, delay))
        return {"target_group": group.name, "target": target, "delay": delay}

    async def _finish_draining(self, checker: TargetChecker, delay: float) -> None:
        await self._clock.sleep(delay)
        checker.apply(health.DelayExpired(at=self._clock.now()))

    def _register(self, command: dict[str, Any]) -> Fields:
        group, target = self._group_target(command)
        registered = self._addresses[group.name]
        if target in registered:
            raise ControlError("InvalidTarget", f"{target} is already registered")
        task = self._running.pop((group.name, target), None)
        if task is not None:
            task.cancel()
        order = [t.address for t in group.targets]
        registered.append(target)
        registered.sort(key=order.index)
        checker = self._make_checker(group, target)
        self._checkers[group.name, target] = checker
        checker.announce()
        self._running[group.name, target] = self._spawn(checker.run())
        return {"target_group": group.name, "target": target}

    def _fault(self, command: dict[str, Any]) -> Fields:
        """One instance's fault, or (``az``) every instance's in that Availability Zone:
        an AZ outage as a learner can see it, each target there failing its checks."""
        mode = str(command["mode"])
        server: TargetServer | None = None
        if command.get("az"):
            az = str(command["az"])
            servers = [s for s in self._servers.values() if s.target.az == az]
            if not servers:
                raise ControlError("InvalidTarget", f"no instance runs in {az}")
        elif command.get("instance") and not command.get("target"):
            # By its id: an instance an Auto Scaling group launched during the run.
            name = str(command["instance"])
            servers = sorted(
                (s for s in self._servers.values() if s.target.id == name),
                key=lambda s: s.target.address,
            )
            if not servers:
                raise ControlError("InvalidTarget", f"no instance {name} runs now")
        else:
            server = self._servers.get(str(command.get("target")))
            if server is None:
                raise ControlError(
                    "InvalidTarget", f"no instance listens at {command.get('target')}"
                )
            servers = [server]
        for server in servers:
            server.fault(mode, self._flap_seconds(server.target.ip))
            if not command.get("az"):
                # An instance stopped by its owner is `stopped` to EC2 (Target.InvalidState);
                # a zone's outage leaves its instances running but unreachable: they fail
                # their checks, as on AWS.
                self._instance_state(server.target.address, stopped=mode == "stopped")
        if command.get("az"):
            return {"az": az, "targets": sorted(s.target.address for s in servers), "mode": mode}
        target = servers[0].target
        return {"target": target.address, "instance": target.id, "mode": mode}

    def _flap_seconds(self, ip: str) -> float:
        """How long a flapping instance stays up, then down: long enough for its checks
        to cross either threshold (interval x (threshold + 1), on the lab clock)."""
        checks = [g.health_check for g in self._groups.values() if ip in {t.ip for t in g.targets}]
        return max(
            (c.interval_seconds * (max(c.healthy_threshold, c.unhealthy_threshold) + 1))
            for c in checks or [HealthCheck()]
        )

    def _instance_state(self, address: str, *, stopped: bool) -> None:
        """A stopped instance is ``unused`` / ``Target.InvalidState`` in every ELBv2 group
        that registers it as an instance (§3.3); started again, it is checked from
        ``initial``. An ``ip`` target at its address just fails its checks."""
        event = (health.InstanceStopped if stopped else health.InstanceStarted)(
            at=self._clock.now()
        )
        for (name, target), checker in self._checkers.items():
            group = self._groups[name]
            if target != address or group.target_type != "instance":
                continue
            if isinstance(checker, InstanceChecker):
                continue  # a Classic LB's instance: its own table (§8)
            with contextlib.suppress(health.HealthRefused):  # not stopped, or draining
                checker.apply(event)

    def _scale(self, command: dict[str, Any]) -> Fields:
        """Set an Auto Scaling group's desired capacity (checked against its sizes)."""
        if self.scale is None:
            raise ControlError("ValidationError", "this run has no Auto Scaling group")
        return self.scale(str(command["group"]), int(command["desired"]), self._by)

    def _security_group(self, command: dict[str, Any]) -> Fields:
        """Revoke a target security group's rules admitting the load balancers, or
        authorize them again (``labs.engine.security``). Every new connection is judged by
        the group as it is now: the next health check is dropped (``Target.Timeout``), a
        request's new connection too (504 after the connect timeout)."""
        name, change = str(command.get("security_group")), str(command.get("change"))
        group = self.security_groups.get(name)
        if group is None:
            raise ControlError("ValidationError", f"no security group {name!r} in this run")
        try:
            if change == security.REVOKE:
                group, rules = security.revoke_load_balancer(
                    group, frozenset(self.lb_groups), self.lb_ips
                )
                self._revoked[name] = rules
            else:
                group, rules = security.authorize_load_balancer(
                    group,
                    self.lb_groups,
                    self.lb_ips,
                    self._ports_of(name),
                    self.vpc_cidr,
                    self._revoked.get(name, ()),
                )
                self._revoked.pop(name, None)
        except security.RuleChangeRefused as refused:
            raise ControlError(refused.code, refused.message) from None
        self.security_groups[name] = group
        return {
            "security_group": name,
            "mode": change,
            "rules": [security.describe_rule(rule) for rule in rules],
        }

    def _ports_of(self, name: str) -> tuple[int, ...]:
        """The ports the load balancers reach this group's instances on: each target's
        traffic port and its group's health-check port."""
        ports: set[int] = set()
        for group in self._groups.values():
            for target in group.targets:
                if name in target.security_groups:
                    ports.add(target.port)
                    if group.health_check.port != "traffic-port":
                        ports.add(int(group.health_check.port))
        return tuple(sorted(ports))

    def _traffic(self, command: dict[str, Any]) -> Fields:
        rate = self._rate
        if "rps" in command:
            # Capped here as well: the one thing a runtime must never trust is a rate.
            rate.rps = min(float(command["rps"]), self._max_rps)
        if "paused" in command:
            rate.paused = bool(command["paused"])
        if "clients" in command:
            rate.clients = int(command["clients"])
        if "keep_alive" in command:
            rate.keep_alive = bool(command["keep_alive"])
        if "mix" in command:
            rate.mix = tuple(
                MixItem(
                    path=str(item["path"]),
                    host=item.get("host") or None,
                    headers=tuple((str(k), str(v)) for k, v in item.get("headers", ())),
                    weight=int(item.get("weight", 1)),
                )
                for item in command["mix"]
            )
        return {"rps": rate.rps, "traffic": traffic_settings(rate)}


def traffic_settings(rate: Rate) -> dict[str, Any]:
    """The generated traffic's settings as a ``fault`` event carries them."""
    return {
        "rps": rate.rps,
        "paused": rate.paused,
        "clients": rate.clients,
        "keep_alive": rate.keep_alive,
        "mix": [
            {
                "path": i.path,
                "host": i.host,
                "headers": [list(h) for h in i.headers],
                "weight": i.weight,
            }
            for i in rate.mix
        ],
    }
