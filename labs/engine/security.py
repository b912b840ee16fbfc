"""Security groups: does an instance accept a packet? (spec §10)

Security groups are allow-lists: a connection is accepted when any inbound rule of any of
the destination's groups matches its protocol and port and names the source, either by
CIDR or by a security group the source belongs to. Anything else is dropped silently,
which is why a blocked health check shows up as ``Target.Timeout``, not as a refusal.
"""

import ipaddress
from collections.abc import Iterable

from .spec import IngressRule, LoadBalancer, Node, SecurityGroup

# Why a client is dropped: an internal scheme, the LB's security group, or (internet-facing)
# a node whose subnet has no route to an internet gateway.
INTERNAL, SECURITY_GROUP = "internal", "security_group"
NO_INTERNET_ROUTE = "no_internet_gateway_route"


def _rule_allows(
    rule: IngressRule, protocol: str, port: int, source_ip: str, source_groups: frozenset[str]
) -> bool:
    if rule.protocol not in ("-1", protocol):
        return False
    if rule.protocol != "-1" and not rule.from_port <= port <= rule.to_port:
        return False
    if rule.source_group is not None:
        return rule.source_group in source_groups
    if rule.cidr is not None:
        return ipaddress.ip_address(source_ip) in ipaddress.ip_network(rule.cidr, strict=False)
    return False


def allows(
    groups: Iterable[SecurityGroup],
    *,
    protocol: str,
    port: int,
    source_ip: str,
    source_groups: Iterable[str] = (),
) -> bool:
    """Whether ``groups`` (the destination's) accept a connection from ``source_ip``.

    An instance with no security group at all is treated as open: the playground models
    only what the template states, and a template without groups means "not modelled".
    """
    groups = list(groups)
    if not groups:
        return True
    sources = frozenset(source_groups)
    return any(
        _rule_allows(rule, protocol, port, source_ip, sources)
        for group in groups
        for rule in group.ingress
    )


def client_dropped(
    lb: LoadBalancer,
    groups: Iterable[SecurityGroup],
    *,
    vpc_cidr: str,
    source_ip: str,
    port: int,
    source_groups: Iterable[str] = (),
    through_nlb: bool = False,
    node: Node | None = None,
) -> str | None:
    """Why ``lb`` drops a client's connection, or None when it is admitted (§10).

    An ``internal`` load balancer has only private addresses: nothing outside the VPC
    reaches it, except through a Network Load Balancer in the VPC that has it as an
    ``alb`` target (``through_nlb``, §6.5): that NLB keeps the client's address, so the
    source is public yet the packet came from inside. Either scheme then admits only
    what its own security groups allow, judged on that preserved client address.

    An internet-facing ``node`` in a subnet that does not route 0.0.0.0/0 to an internet
    gateway has a public address nothing on the internet can route to: an outside client
    never reaches it, though clients inside the VPC still do (by its private address).
    """
    outside = not through_nlb and ipaddress.ip_address(source_ip) not in ipaddress.ip_network(
        vpc_cidr, strict=False
    )
    if outside and lb.scheme == "internal":
        return INTERNAL
    if outside and node is not None and not node.public:
        return NO_INTERNET_ROUTE
    if not allows(
        groups, protocol="tcp", port=port, source_ip=source_ip, source_groups=source_groups
    ):
        return SECURITY_GROUP
    return None
