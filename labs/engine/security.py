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


# --- changing a target's security group while the lab runs ----------------------------
REVOKE, AUTHORIZE = "revoke", "authorize"
CHANGES = (REVOKE, AUTHORIZE)
# EC2's error codes for a revoke that matches no rule and an authorize already in place.
NOT_FOUND, DUPLICATE = "InvalidPermission.NotFound", "InvalidPermission.Duplicate"


class RuleChangeRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def admits_load_balancer(
    rule: IngressRule, lb_groups: frozenset[str], lb_ips: frozenset[str]
) -> bool:
    """Whether ``rule`` lets a load balancer's nodes in (on some port): its source is one
    of their security groups, or a CIDR holding one of their addresses."""
    if rule.source_group is not None:
        return rule.source_group in lb_groups
    if rule.cidr is not None:
        network = ipaddress.ip_network(rule.cidr, strict=False)
        return any(ipaddress.ip_address(ip) in network for ip in lb_ips)
    return False


def revoke_load_balancer(
    group: SecurityGroup, lb_groups: frozenset[str], lb_ips: frozenset[str]
) -> tuple[SecurityGroup, tuple[IngressRule, ...]]:
    """``group`` without the inbound rules that admit the load balancers, and those rules
    (RevokeSecurityGroupIngress). From then on their probes and requests are dropped."""
    gone = tuple(r for r in group.ingress if admits_load_balancer(r, lb_groups, lb_ips))
    if not gone:
        raise RuleChangeRefused(
            NOT_FOUND,
            f"The specified rule does not exist in this security group ({group.name} has no "
            "inbound rule admitting the load balancer).",
        )
    kept = tuple(r for r in group.ingress if r not in gone)
    return SecurityGroup(name=group.name, ingress=kept), gone


def authorize_load_balancer(
    group: SecurityGroup,
    lb_groups: tuple[str, ...],
    lb_ips: frozenset[str],
    ports: tuple[int, ...],
    vpc_cidr: str,
    revoked: tuple[IngressRule, ...] = (),
) -> tuple[SecurityGroup, tuple[IngressRule, ...]]:
    """``group`` with rules admitting the load balancers, and the rules added
    (AuthorizeSecurityGroupIngress): the ones a revoke took away, else one per port the
    targets listen on (traffic and health-check ports) from each load balancer's security
    group, as spec §10 asks; a load balancer with no group (an NLB) is admitted by the
    VPC's CIDR, as AWS advises for its health checks."""
    if any(admits_load_balancer(r, frozenset(lb_groups), lb_ips) for r in group.ingress):
        raise RuleChangeRefused(
            DUPLICATE,
            f"The specified rule already exists ({group.name} already admits the load balancer).",
        )
    added = revoked or tuple(
        IngressRule(protocol="tcp", from_port=port, to_port=port, **source)
        for port in ports
        for source in (
            [{"source_group": name} for name in lb_groups] if lb_groups else [{"cidr": vpc_cidr}]
        )
    )
    return SecurityGroup(name=group.name, ingress=(*group.ingress, *added)), added


def describe_rule(rule: IngressRule) -> str:
    """A rule as the EC2 console lists it: ``tcp 80 from LoadBalancerSecurityGroup``."""
    protocol = "all" if rule.protocol == "-1" else rule.protocol
    ports = (
        ""
        if rule.protocol == "-1"
        else f" {rule.from_port}"
        if rule.from_port == rule.to_port
        else f" {rule.from_port}-{rule.to_port}"
    )
    return f"{protocol}{ports} from {rule.source_group or rule.cidr}"
