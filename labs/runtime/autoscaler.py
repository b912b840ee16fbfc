"""Auto Scaling groups in a running lab: carry out what ``labs.engine.autoscaling`` decides.

Once a lab second the scaler hands the engine each group's members with their EC2 status
(a ``stopped`` instance fails it) and their state in the group's target groups, and
carries out the answer: an unhealthy instance is deregistered (``draining`` for the
group's deregistration delay), its dummy server stopped, and a replacement launched
into the zone the engine picks, registered (``initial``) and health-checked. A change of
desired capacity (the ``scale`` command) launches or terminates the same way. Every step
is an ``autoscaling`` event with the engine's cause.

Registration and deregistration go through the run's ``Controller``, as a learner's do.
A group's Classic load balancers (``LoadBalancerNames``) are carried as the target group
named after each (``classic.instance_group``): a launched instance registers there and is
checked by the CLB's own table (``OutOfService`` until HealthyThreshold passes).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from labs.engine import autoscaling as engine
from labs.engine.attributes import deregistration_delay
from labs.engine.events import AutoScaling
from labs.engine.spec import AutoScalingGroup, Instance, Target, TargetGroup, Topology

from .clock import LabClock
from .targets import TargetServer

TICK_SECONDS = 1.0  # lab seconds between two looks at the groups
BY = "autoscaling"

StartServers = Callable[[list[tuple[Target, TargetGroup]]], Awaitable[None]]


@dataclass(slots=True)
class _Member:
    member: engine.Member
    ip: str
    counted: bool = True  # counts towards the group's capacity (False once scaling in)
    busy: bool = False  # terminating


class AutoScaler:
    def __init__(
        self,
        *,
        topology: Topology,
        clock: LabClock,
        groups: dict[str, TargetGroup],
        health: dict[str, dict[str, str]],
        zones: dict[str, str],
        addresses: dict[str, list[str]],
        servers: dict[str, TargetServer],
        control: Callable[[dict[str, Any], str | None], Any],
        start_servers: StartServers,
        spawn: Callable[[Any], asyncio.Task[Any]],
        report: Callable[[AutoScaling], None],
    ) -> None:
        self._clock = clock
        self._groups = groups
        self._health = health
        self._zones = zones
        self._addresses = addresses
        self._servers = servers
        self._control = control
        self._start_servers = start_servers
        self._spawn = spawn
        self._report = report
        self._subnets = {s.name: s for s in topology.subnets}
        self._asgs = {g.name: g for g in topology.auto_scaling_groups}
        self.desired = {g.name: g.desired_capacity for g in topology.auto_scaling_groups}
        self._template: dict[str, Instance] = {}
        self._members: dict[str, dict[str, _Member]] = {g: {} for g in self._asgs}
        self._pending: dict[str, list[engine.Member]] = {g: [] for g in self._asgs}
        self._serial: dict[str, int] = dict.fromkeys(self._asgs, 0)
        self._used_ips = {i.ip for i in topology.instances} | {
            t.ip for g in topology.target_groups for t in g.targets if t.ip
        }
        for instance in topology.instances:
            group = instance.auto_scaling_group
            if group not in self._asgs:
                continue
            self._template.setdefault(group, instance)
            self._serial[group] += 1
            self._members[group][instance.name] = _Member(
                engine.Member(
                    name=instance.name, az=instance.az, subnet=instance.subnet, launched_at=0.0
                ),
                instance.ip,
            )

    def __bool__(self) -> bool:
        return bool(self._asgs)

    async def run(self) -> None:
        while True:
            await self._clock.sleep(TICK_SECONDS)
            for name in self._asgs:
                self.reconcile(name)

    # --- decisions (the engine's) ----------------------------------------------------------
    def reconcile(self, name: str) -> None:
        group = self._asgs[name]
        now = self._clock.now()
        members = self._members[name]
        for state in list(members.values()):
            if state.busy:
                continue
            cause = engine.unhealthy_cause(
                group.health_check_type,
                group.health_check_grace_period,
                state.member,
                now,
                ec2_ok=self._ec2_ok(group, state.ip),
                elb_states=self._elb_states(group, state.ip),
            )
            if cause is not None:
                state.busy = True  # still counted: its replacement comes once it is gone
                self._spawn(self._terminate(group, state, cause))
        counted = [s.member for s in members.values() if s.counted]
        pending = self._pending[name]
        desired = self.desired[name]
        subnets = self._zones_of(group)
        capacity = len(counted) + len(pending)
        if capacity < desired and subnets:
            for _ in range(desired - capacity):
                zoned = counted + pending
                subnet, az = engine.launch_zone(subnets, zoned)
                placeholder = engine.Member(name="", az=az, subnet=subnet, launched_at=now)
                pending.append(placeholder)
                cause = engine.desired_cause(len(zoned), len(zoned) + 1)
                self._spawn(self._launch(group, placeholder, cause))
        elif capacity > desired:
            candidates = [s.member for s in members.values() if s.counted and not s.busy]
            keep = max(0, len(candidates) - (capacity - desired))
            for activity in engine.plan(keep, candidates, subnets):
                state = members[str(activity.instance)]
                state.busy, state.counted = True, False
                self._spawn(self._terminate(group, state, activity.cause))

    def set_desired(self, name: str, desired: int, by: str | None) -> dict[str, Any]:
        """The ``scale`` command (already checked against the sizes): the fields of its
        ``fault`` event."""
        group = self._asgs[name]
        before = self.desired[name]
        self.desired[name] = desired
        self._event(group, "SetDesiredCapacity", engine.set_desired_cause(before, desired), by=by)
        self.reconcile(name)
        return {"group": name, "desired": desired}

    def _ec2_ok(self, group: AutoScalingGroup, ip: str) -> bool:
        servers = [s for a, s in self._servers.items() if a.rsplit(":", 1)[0] == ip]
        return all(s.mode != "stopped" for s in servers)

    def _elb_states(self, group: AutoScalingGroup, ip: str) -> tuple[str, ...]:
        out = []
        for name in _balancers(group):
            target_group = self._groups.get(name)
            if target_group is not None:
                state = self._health.get(name, {}).get(f"{ip}:{target_group.port}")
                if state is not None:
                    out.append(state)
        return tuple(out)

    def _zones_of(self, group: AutoScalingGroup) -> tuple[tuple[str, str], ...]:
        return tuple((s, self._subnets[s].az) for s in group.subnets if s in self._subnets)

    # --- carrying it out -------------------------------------------------------------------
    async def _terminate(self, group: AutoScalingGroup, state: _Member, cause: str) -> None:
        member = state.member
        self._event(group, "Terminating", cause, member, state.ip)
        delay = 0.0
        for name in _balancers(group):
            target_group = self._groups.get(name)
            if target_group is None:
                continue
            address = f"{state.ip}:{target_group.port}"
            if address not in self._addresses.get(name, ()):
                continue  # already deregistered by hand: nothing to drain
            self._control({"action": "deregister", "target_group": name, "target": address}, BY)
            delay = max(delay, deregistration_delay(target_group.attributes))
        await self._clock.sleep(delay)
        for address in [a for a in self._servers if a.rsplit(":", 1)[0] == state.ip]:
            self._servers.pop(address).close()
        self._members[group.name].pop(member.name, None)
        self._event(group, "Terminated", cause, member, state.ip)

    async def _launch(
        self, group: AutoScalingGroup, placeholder: engine.Member, cause: str
    ) -> None:
        subnet, az = placeholder.subnet, placeholder.az
        try:
            self._serial[group.name] += 1
            name = f"{group.name}-{self._serial[group.name]}"
            ip = self._free_ip(subnet)
            member = engine.Member(name=name, az=az, subnet=subnet, launched_at=self._clock.now())
            self._event(group, "Launching", cause, member, ip)
            template = self._template.get(group.name)
            app = template.app if template else None
            sgs = template.security_groups if template else ()
            targets: list[Target] = []
            target_groups: list[TargetGroup] = []
            for tg_name in _balancers(group):
                target_group = self._groups.get(tg_name)
                if target_group is None:
                    continue
                target = Target(id=name, ip=ip, port=target_group.port, az=az, security_groups=sgs)
                if app is not None:
                    target = replace(target, app=app)
                targets.append(target)
                target_groups.append(target_group)
            await self._start_servers(list(zip(targets, target_groups, strict=True)))
            self._members[group.name][name] = _Member(member, ip)
        finally:
            self._pending[group.name].remove(placeholder)
        for target, target_group in zip(targets, target_groups, strict=True):
            current = self._groups[target_group.name]
            self._groups[target_group.name] = replace(current, targets=(*current.targets, target))
            self._zones[target.address] = az
            self._control(
                {"action": "register", "target_group": target_group.name, "target": target.address},
                BY,
            )
        self._event(group, "Launched", cause, member, ip)

    def _free_ip(self, subnet: str) -> str:
        network = ipaddress.IPv4Network(self._subnets[subnet].cidr)
        for host in list(network.hosts())[9:]:  # .10 and up, as validation allocates
            ip = str(host)
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip
        raise RuntimeError(f"subnet {subnet} has no free address")

    def _event(
        self,
        group: AutoScalingGroup,
        activity: str,
        cause: str,
        member: engine.Member | None = None,
        ip: str | None = None,
        by: str | None = None,
    ) -> None:
        self._report(
            AutoScaling(
                t=round(self._clock.now(), 3),
                emitted=time.time(),
                group=group.name,
                activity=activity,
                cause=cause,
                instance=member.name if member else None,
                az=member.az if member else None,
                target=ip,
                desired=self.desired[group.name],
                by=by,
            )
        )


def _balancers(group: AutoScalingGroup) -> tuple[str, ...]:
    """The target groups and Classic load balancers the group registers its instances with."""
    return (*group.target_groups, *group.load_balancer_names)
