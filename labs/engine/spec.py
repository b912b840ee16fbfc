"""The topology as the engine sees it: plain, frozen values.

``labs.cfn`` builds these from a CloudFormation document; the runtime reads them to bind
sockets; nothing here knows about either. Python names follow AWS's API names in
snake_case (``health_check_interval_seconds`` is ``HealthCheck.interval_seconds``).
Times are AWS's own values in seconds; the runtime scales them by the lab clock.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class AppBehaviour:
    """What a dummy target does when asked (Metadata.Playground.App on an instance)."""

    status: int = 200
    body: str | None = None  # None: echo what the target received
    latency_ms: float = 0.0
    health_status: int = 200  # answer to the health-check path
    # Fraction of requests (0..1) answered with 500 instead of ``status``.
    error_rate: float = 0.0
    # normal: answer; reset: close the connection unanswered (ALB 502); hang: never answer
    # (ALB 504 after the idle timeout); garbage: reply with bytes that are not HTTP (502).
    mode: str = "normal"
    # A cookie the app sets on every answer ("SESSIONID=abc"), for app_cookie stickiness.
    set_cookie: str | None = None
    latency_jitter_ms: float = 0.0  # added latency varies uniformly by ± this much
    startup_seconds: float = 0.0  # lab seconds after launch before the app answers at all
    # GWLB appliances: drop rules for inner packets ("udp/53", "tcp", "icmp"), first match
    # drops (labs.engine.gateway.inspect); ``latency_ms`` is the inspection's latency.
    drop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthCheck:
    protocol: str = "HTTP"
    port: str = "traffic-port"
    path: str = "/"
    interval_seconds: float = 30
    timeout_seconds: float = 5
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    matcher: str = "200"  # "200", "200,202" or "200-299"
    enabled: bool = True  # Lambda target groups default to off (spec §3.1)
    # NLB with target_health_state.unhealthy.connection_termination.enabled false: how long
    # a target that fails keeps its flows as ``unhealthy.draining`` (§3.3); None: it does not.
    unhealthy_draining_seconds: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressRule:
    protocol: str  # "tcp", "udp" or "-1" (all)
    from_port: int
    to_port: int
    cidr: str | None = None
    source_group: str | None = None  # logical id of a security group


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroup:
    name: str
    ingress: tuple[IngressRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    id: str  # the instance's logical id, or the IP for ip targets
    ip: str  # virtual private address, e.g. "10.0.1.10"
    port: int
    az: str
    app: AppBehaviour = field(default_factory=AppBehaviour)
    security_groups: tuple[str, ...] = ()
    # Lambda targets: the built-in handler (echo, hello, fail); ip is "" and port 0.
    # ``alb`` targets: ``id`` is the ALB's logical id and ip is "".
    handler: str | None = None
    reserved_concurrency: int | None = None  # Lambda targets: ReservedConcurrentExecutions

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetGroup:
    name: str  # logical id
    protocol: str = "HTTP"
    port: int = 80
    target_type: str = "instance"
    targets: tuple[Target, ...] = ()
    health_check: HealthCheck = field(default_factory=HealthCheck)
    algorithm: str = "round_robin"
    # TargetGroupAttributes as validated AWS keys and string values, defaults not filled in.
    attributes: dict[str, str] = field(default_factory=dict)
    protocol_version: str = "HTTP1"  # ALB target groups: HTTP1 | HTTP2 | GRPC


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    type: str  # forward | redirect | fixed-response | authenticate-oidc | -cognito
    target_groups: tuple[tuple[str, int], ...] = ()  # (target group, weight)
    redirect: dict[str, str] | None = None  # RedirectConfig, validated
    fixed_response: dict[str, str] | None = None  # FixedResponseConfig, validated
    # ForwardConfig.TargetGroupStickinessConfig: (enabled, duration seconds)
    stickiness: tuple[bool, int] | None = None
    authenticate: dict[str, str] | None = None  # Authenticate{Oidc,Cognito}Config
    identity_provider: str = "accepts"  # Metadata.Playground.IdentityProvider (auth.py)


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    # host-header, path-pattern, http-header, http-request-method, query-string, source-ip
    field: str
    values: tuple[str, ...] = ()
    header_name: str | None = None
    key_values: tuple[tuple[str | None, str], ...] = ()  # query-string (key, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    name: str  # logical id
    priority: int
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Listener:
    name: str
    protocol: str
    port: int
    default_actions: tuple[Action, ...]
    rules: tuple[Rule, ...] = ()  # sorted by priority
    certificates: tuple[str, ...] = ()  # domain names of the ACM certificates, default first
    attributes: dict[str, str] = field(default_factory=dict)
    # Classic Load Balancer listeners only: where the instances listen.
    instance_protocol: str | None = None
    instance_port: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """One load balancer node: one per enabled Availability Zone."""

    az: str
    ip: str  # virtual private address inside the node's subnet
    subnet: str | None = None  # logical id of the subnet the node sits in
    elastic_ip: str | None = None  # NLB SubnetMappings AllocationId: the EIP's logical id
    # Whether the node's subnet routes 0.0.0.0/0 to an internet gateway (Subnet.public).
    public: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancer:
    name: str
    type: str = "application"
    scheme: str = "internet-facing"
    nodes: tuple[Node, ...] = ()
    listeners: tuple[Listener, ...] = ()
    security_groups: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)  # LoadBalancerAttributes
    ip_address_type: str = "ipv4"
    # Classic Load Balancers register instances themselves and carry one health check.
    instances: tuple[Target, ...] = ()
    health_check: HealthCheck | None = None
    # Route 53 alias records naming it (www.example.com): the Host its clients send.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet:
    name: str  # logical id
    az: str
    cidr: str
    # A template that declares no internet gateway nor route table leaves routing
    # unmodelled: its subnets count as public. Otherwise a subnet is public when its route
    # table sends 0.0.0.0/0 to an internet gateway attached to the VPC (that gateway here).
    public: bool = True
    internet_gateway: str | None = None
    route_table: str | None = None  # the route table associated with it, if any


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    name: str  # logical id; "<AutoScalingGroup>-<n>" for instances a group launched
    subnet: str
    az: str
    ip: str
    security_groups: tuple[str, ...] = ()
    app: AppBehaviour = field(default_factory=AppBehaviour)
    auto_scaling_group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LambdaFunction:
    name: str  # logical id
    handler: str  # one of the built-ins: echo, hello, fail
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions; 0 throttles all


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    name: str  # logical id
    domain_name: str
    alternative_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoScalingGroup:
    name: str
    min_size: int
    max_size: int
    desired_capacity: int
    subnets: tuple[str, ...]
    target_groups: tuple[str, ...] = ()
    instances: tuple[str, ...] = ()  # the launched instances' names
    load_balancer_names: tuple[str, ...] = ()  # Classic load balancers it registers with
    health_check_type: str = "EC2"  # EC2 or ELB
    health_check_grace_period: int = 0  # seconds (CloudFormation's default)


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Generated traffic (Metadata.Playground.Traffic at the template's top level)."""

    rps: float = 10.0
    clients: int = 6
    paths: tuple[str, ...] = ("/",)
    host: str | None = None  # Host header; default: the load balancer's DNS name
    # Whether Metadata.Playground.Traffic.Host set ``host``; if not, a Route 53 alias of the
    # load balancer the traffic goes to is what its clients ask for, and wins over the guess.
    host_given: bool = False
    # The listener port generated traffic goes to (Metadata.Playground.Traffic.Port); None:
    # the first listener that does more than redirect (HTTP → HTTPS), so a template's traffic
    # reaches what it serves (the https-redirect starter names port 80: it is about that).
    port: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Topology:
    vpc_cidr: str
    load_balancers: tuple[LoadBalancer, ...]
    target_groups: tuple[TargetGroup, ...]
    security_groups: tuple[SecurityGroup, ...] = ()
    traffic: Traffic = field(default_factory=Traffic)
    subnets: tuple[Subnet, ...] = ()
    instances: tuple[Instance, ...] = ()
    lambda_functions: tuple[LambdaFunction, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    auto_scaling_groups: tuple[AutoScalingGroup, ...] = ()
    # Whether the template declares its routing (an internet gateway or route tables); if
    # not, every subnet counts as public, as the playground's own starters expect.
    routing: bool = False
    internet_gateways: tuple[str, ...] = ()  # those attached to the VPC

    def target_group(self, name: str) -> TargetGroup:
        for group in self.target_groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def security_group(self, name: str) -> SecurityGroup:
        for group in self.security_groups:
            if group.name == name:
                return group
        raise KeyError(name)
