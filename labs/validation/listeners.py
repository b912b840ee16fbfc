"""ELBv2 listeners: protocol and port per load balancer type, certificates, default actions.

ALB: HTTP or HTTPS (§1.1). NLB: TCP, TLS, UDP, TCP_UDP (§6.1). GWLB: one listener with no
protocol and no port (§7.1). HTTPS and TLS listeners need exactly one default certificate in
``Certificates`` (CloudFormation adds more through ListenerCertificate, which we do not
model).
"""

from __future__ import annotations

from typing import Any

from labs.engine import spec

from . import actions, attributes
from .core import CERTIFICATE, LISTENER, LOAD_BALANCER, Context, rule

PROTOCOL = rule("listener.protocol-per-type", source="§1.1 §6.1 §7.1")
PORT_REQUIRED = rule("listener.protocol-and-port-required", source="§1.1 §6.1")
GATEWAY = rule("listener.gateway-no-protocol-port", source="§7.1")
CERTIFICATE_NEEDED = rule("listener.https-tls-certificate", source="§1.1 §6.5")
ONE_CERTIFICATE = rule(
    "listener.one-default-certificate", code="TooManyCertificates", source="CloudFormation Listener"
)
TLS_ONLY = rule("listener.tls-settings-need-https-tls", source="API CreateListener")
DUPLICATE = rule("listener.unique-port", code="DuplicateListener", source="API CreateListener")
TOO_MANY = rule("listener.at-most-50", code="TooManyListeners", source="§1.1")
SSL_POLICY = rule(
    "listener.ssl-policy-known", code="SSLPolicyNotFound", source="§1.1 §6.5 API CreateListener"
)
IDLE_TCP_ONLY = rule("listener.tcp-idle-timeout-tcp-only", source="§6.2")

PROTOCOLS = {
    "application": ("HTTP", "HTTPS"),
    "network": ("TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC"),
}
# The predefined policies of the ALB and NLB guides ("Security policies"); AWS has no
# custom ELBv2 policies, so any other name is SSLPolicyNotFound.
SSL_POLICIES = frozenset(
    [
        "ELBSecurityPolicy-2015-05",
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-FS-2018-06",
        "ELBSecurityPolicy-FS-1-1-2019-08",
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        *(
            f"ELBSecurityPolicy-TLS13-{v}-2021-06"
            for v in ("1-0", "1-1", "1-2", "1-2-Res", "1-2-Ext1", "1-2-Ext2", "1-3")
        ),
        *(
            f"ELBSecurityPolicy-TLS13-{v}-FIPS-2023-04"
            for v in ("1-0", "1-1", "1-2", "1-2-Res", "1-2-Ext0", "1-2-Ext1", "1-2-Ext2", "1-3")
        ),
        *(
            f"ELBSecurityPolicy-TLS13-{v}-PQ-2025-09"
            for v in (
                "1-2",
                "1-2-Res",
                "1-2-Ext1",
                "1-2-Ext2",
                "1-3",
                "1-2-FIPS",
                "1-2-Res-FIPS",
                "1-2-Ext0-FIPS",
                "1-2-Ext1-FIPS",
                "1-2-Ext2-FIPS",
                "1-3-FIPS",
            )
        ),
    ]
)
_ALPN = ("HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None")


def check(ctx: Context) -> None:
    ports: dict[tuple[str, int | None], str] = {}
    count: dict[str, int] = {}
    for logical_id, props in ctx.of_type(LISTENER):
        lb = ctx.ref(
            logical_id, "Properties.LoadBalancerArn", props.get("LoadBalancerArn"), LOAD_BALANCER
        )
        balancer = ctx.load_balancers.get(lb or "")
        lb_type = balancer.type if balancer else None
        protocol, port = _protocol_and_port(ctx, logical_id, props, lb_type)
        listener = spec.Listener(
            name=logical_id,
            protocol=protocol,
            port=port or 0,
            default_actions=actions.read(
                ctx,
                logical_id,
                "Properties.DefaultActions",
                props.get("DefaultActions"),
                lb_type,
                (protocol, port or 0),
            ),
            certificates=_certificates(ctx, logical_id, props, protocol),
            attributes=_attributes(ctx, logical_id, props, lb_type, protocol),
        )
        if lb is None or balancer is None:
            continue
        count[lb] = count.get(lb, 0) + 1
        if count[lb] == 51:
            ctx.fail(
                TOO_MANY,
                logical_id,
                "Properties.LoadBalancerArn",
                f"{lb} already has 50 listeners, the most a load balancer can have",
            )
        if ctx.reported(logical_id, "Properties.Port"):
            continue  # an out-of-range port was read as the default; not a duplicate
        if (lb, port) in ports:
            ctx.fail(
                DUPLICATE,
                logical_id,
                "Properties.Port",
                f"port {port} is already used by {ports[lb, port]}"
                if port
                else f"a Gateway Load Balancer has one listener: {ports[lb, port]}",
            )
        ports[lb, port] = logical_id
        ctx.listeners[logical_id] = (lb, listener)


def _protocol_and_port(
    ctx: Context, logical_id: str, props: dict[str, Any], lb_type: str | None
) -> tuple[str, int | None]:
    p = "Properties."
    if lb_type == "gateway":
        for key in ("Protocol", "Port"):
            if key in props:
                ctx.fail(
                    GATEWAY,
                    logical_id,
                    p + key,
                    f"A Gateway Load Balancer listener takes no {key.lower()}",
                )
        return "GENEVE", None
    allowed = PROTOCOLS.get(lb_type or "application", PROTOCOLS["application"])
    for key in ("Protocol", "Port"):
        if key not in props:
            ctx.fail(
                PORT_REQUIRED,
                logical_id,
                p + key,
                f"is required for {lb_type or 'application'} load balancer listeners",
            )
    protocol = ctx.choice(
        logical_id, p + "Protocol", props.get("Protocol"), allowed, allowed[0], PROTOCOL
    )
    return protocol, ctx.integer(logical_id, p + "Port", props.get("Port"), 1, 65535, 80)


def _certificates(
    ctx: Context, logical_id: str, props: dict[str, Any], protocol: str
) -> tuple[str, ...]:
    p = "Properties."
    values = props.get("Certificates")
    secure = protocol in ("HTTPS", "TLS")
    # An unknown protocol is reported once; its TLS settings are not a second problem.
    unknown = ctx.reported(logical_id, "Properties.Protocol")
    for key in ("SslPolicy", "Certificates", "AlpnPolicy"):
        if unknown:
            break
        if key in props and (not secure or (key == "AlpnPolicy" and protocol != "TLS")):
            ctx.fail(
                TLS_ONLY,
                logical_id,
                p + key,
                f"{key} applies only to "
                f"{'TLS' if key == 'AlpnPolicy' else 'HTTPS and TLS'} listeners",
            )
    if "AlpnPolicy" in props and protocol == "TLS":
        alpn = props["AlpnPolicy"]
        if not isinstance(alpn, list) or len(alpn) != 1 or alpn[0] not in _ALPN:
            ctx.fail(
                TLS_ONLY,
                logical_id,
                p + "AlpnPolicy",
                f"must be a list of one of {', '.join(_ALPN)}",
            )
    if not secure:
        return ()
    policy = props.get("SslPolicy")
    if policy is not None and (not isinstance(policy, str) or policy not in SSL_POLICIES):
        ctx.fail(
            SSL_POLICY,
            logical_id,
            p + "SslPolicy",
            f"{policy!r} is not an Elastic Load Balancing security policy, e.g. "
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
        )
    if not values:
        ctx.fail(
            CERTIFICATE_NEEDED,
            logical_id,
            p + "Certificates",
            f"A certificate must be specified for {protocol} listeners",
        )
        return ()
    if not isinstance(values, list) or len(values) != 1:
        ctx.fail(
            ONE_CERTIFICATE,
            logical_id,
            p + "Certificates",
            "a listener takes exactly one default certificate; add others with "
            "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        )
        return ()
    domains = []
    for i, item in ctx.mappings(logical_id, p + "Certificates", values):
        name = ctx.ref(
            logical_id,
            f"{p}Certificates[{i}].CertificateArn",
            item.get("CertificateArn"),
            CERTIFICATE,
        )
        if name in ctx.certificates:
            domains.append(ctx.certificates[name].domain_name)
    return tuple(domains)


def _attributes(
    ctx: Context, logical_id: str, props: dict[str, Any], lb_type: str | None, protocol: str
) -> dict[str, str]:
    kind = lb_type or "application"
    attrs = attributes.read(
        ctx,
        logical_id,
        "Properties.ListenerAttributes",
        props.get("ListenerAttributes"),
        attributes.LISTENER[kind],
        f"{kind} listener",
    )
    if "tcp.idle_timeout.seconds" in attrs and protocol not in ("TCP", "GENEVE"):
        ctx.fail(
            IDLE_TCP_ONLY,
            logical_id,
            "Properties.ListenerAttributes",
            f"tcp.idle_timeout.seconds applies only to TCP listeners, not {protocol}",
        )
    return attrs
