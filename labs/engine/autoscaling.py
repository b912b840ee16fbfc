"""Auto Scaling decisions: when to replace an instance, where to launch, which to terminate.

Pure (no clock, no I/O): the runtime hands in the group's members and their health and
carries out the activities returned, each with its cause in Auto Scaling's own words
(what ``aws autoscaling describe-scaling-activities`` shows):

- Health (Amazon EC2 Auto Scaling, "Health checks"): every group uses the EC2 status
  checks; with ``HealthCheckType: ELB`` it also takes the load balancer's verdict. An
  instance still inside ``HealthCheckGracePeriod`` (seconds since it launched) is not
  judged. An unhealthy instance is terminated, then replaced.
- Launch: into the group's Availability Zone with the fewest instances (AZ balance),
  the first subnet of that zone in ``VPCZoneIdentifier`` order.
- Scale in, the default termination policy: the AZ with the most instances; there the
  instances of the oldest launch template version; then the one closest to the next
  billing hour (here: the oldest); a tie goes to the first by name.
"""

from __future__ import annotations

from dataclasses import dataclass

ELB_FAILURE = (
    "an instance was taken out of service in response to an ELB system health check failure."
)
EC2_FAILURE = (
    "an instance was taken out of service in response to an EC2 instance status checks failure."
)
HEALTH_TYPES = ("EC2", "ELB")
# The load balancer's verdicts that fail an ELB-type check: a target group's ``unhealthy``,
# a Classic LB's ``OutOfService`` (still registering counts too, on AWS: that is what the
# grace period is for).
FAILING = ("unhealthy", "OutOfService")


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """One instance of a group, as the runtime knows it."""

    name: str
    az: str
    subnet: str
    launched_at: float  # lab seconds
    template_version: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """What to do: ``Launching`` (``subnet``, ``az``) or ``Terminating`` (``instance``)."""

    activity: str
    cause: str
    instance: str | None = None
    az: str | None = None
    subnet: str | None = None


def unhealthy_cause(
    health_check_type: str,
    grace_period: float,
    member: Member,
    now: float,
    *,
    ec2_ok: bool,
    elb_states: tuple[str, ...] = (),
) -> str | None:
    """Why ``member`` must be replaced now (Auto Scaling's cause), or None.

    ``ec2_ok``: its EC2 status checks pass (a stopped instance fails them).
    ``elb_states``: its state in each target group and Classic LB of the group; with type
    ``ELB`` any ``unhealthy`` or ``OutOfService`` counts (``initial``, ``draining``,
    ``unused`` do not).
    """
    if now - member.launched_at < grace_period:
        return None
    if not ec2_ok:
        return EC2_FAILURE
    if health_check_type == "ELB" and any(state in FAILING for state in elb_states):
        return ELB_FAILURE
    return None


def launch_zone(subnets: tuple[tuple[str, str], ...], members: list[Member]) -> tuple[str, str]:
    """The (subnet, az) for the next instance: the group's AZ with the fewest instances.

    ``subnets`` is ``VPCZoneIdentifier`` in order, as (subnet, az) pairs.
    """
    if not subnets:
        raise ValueError("a group needs at least one subnet")
    counts: dict[str, int] = {}
    for _, az in subnets:
        counts.setdefault(az, 0)
    for member in members:
        if member.az in counts:
            counts[member.az] += 1
    zones = list(counts)
    fewest = min(zones, key=lambda az: (counts[az], zones.index(az)))
    subnet = next(s for s, az in subnets if az == fewest)
    return subnet, fewest


def to_terminate(members: list[Member]) -> Member:
    """The default termination policy's choice among ``members`` (see the module's doc)."""
    if not members:
        raise ValueError("nothing to terminate")
    counts: dict[str, int] = {}
    for member in members:
        counts[member.az] = counts.get(member.az, 0) + 1
    most = max(counts.values())
    candidates = [m for m in members if counts[m.az] == most]
    oldest_version = min(m.template_version for m in candidates)
    candidates = [m for m in candidates if m.template_version == oldest_version]
    return min(candidates, key=lambda m: (m.launched_at, m.name))


def desired_cause(before: int, after: int) -> str:
    """The cause of a launch or termination that brings the group to ``after``."""
    if after > before:
        return (
            "an instance was started in response to a difference between desired and actual "
            f"capacity, increasing the capacity from {before} to {after}."
        )
    return (
        "an instance was taken out of service in response to a difference between desired "
        f"and actual capacity, shrinking the capacity from {before} to {after}."
    )


def set_desired_cause(before: int, after: int) -> str:
    return (
        "a user request explicitly set group desired capacity changing the desired capacity "
        f"from {before} to {after}."
    )


def check_desired(desired: int, min_size: int, max_size: int) -> str | None:
    """AWS's ValidationError message for an out-of-range desired capacity, or None."""
    if not min_size <= desired <= max_size:
        return (
            f"Desired capacity:{desired} must be between the specified min size:{min_size} "
            f"and max size:{max_size}"
        )
    return None


def plan(
    desired: int,
    members: list[Member],
    subnets: tuple[tuple[str, str], ...],
) -> list[Activity]:
    """The activities that bring ``members`` (the in-service instances) to ``desired``."""
    out: list[Activity] = []
    current = list(members)
    while len(current) < desired:
        subnet, az = launch_zone(subnets, current)
        out.append(
            Activity(
                activity="Launching",
                cause=desired_cause(len(current), len(current) + 1),
                az=az,
                subnet=subnet,
            )
        )
        # A placeholder, so the next launch sees this one's zone taken.
        current.append(Member(name=f"\0{len(out)}", az=az, subnet=subnet, launched_at=1e18))
    while len(current) > desired:
        victim = to_terminate(current)
        current.remove(victim)
        out.append(
            Activity(
                activity="Terminating",
                cause=desired_cause(len(current) + 1, len(current)),
                instance=victim.name,
                az=victim.az,
                subnet=victim.subnet,
            )
        )
    return out
