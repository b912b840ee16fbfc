"""The builder's picture of a topology: boxes and lines, laid out by arithmetic.

Two regions, one above the other, each with a fixed grid, so the same document always
draws the same picture and a learner finds things where they were:

- the network: the VPC, one column per Availability Zone (sorted by name), and in each
  column its subnets; in a subnet, the load balancer nodes it holds (ALB, NLB with its
  Elastic IP, GWLB, Classic), then its instances with their security-group badges, then
  the instances each auto scaling group launches there, grouped under the group;
- the routing: columns left to right for load balancers, listeners, rules (in priority
  order, the default action last) and target groups with their targets (instances, IP
  addresses, Lambda functions, ALBs, auto scaling groups); lines join each rule to the
  target groups it forwards to. A Classic LB has no rules: its listeners lead to the
  instances it registers itself.

It reads the parsed document (``cfn.parse_document``), not the validated topology, so a
document with problems still draws. ``labs/_diagram.html`` turns the result into SVG.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from labs import editing

WIDTH = 800  # viewBox units; the page scales the drawing to its column
MARGIN = 16
PAD = 10
CHAR = 7.2  # average advance of a 12px sans-serif character, for cutting labels to fit
LINE = 16
HEADER = 26
INSTANCE_H = 40
NODE_H = 26
ROW_H = 44  # one rule (or default action) in the routing region
GAP = 12
# Routing columns: (x, width) of load balancer, listener, rule, target group.
COLUMNS = ((MARGIN, 124), (156, 100), (274, 238), (530, WIDTH - 530 - MARGIN))
CONDITION_WORDS = {
    "path-pattern": "path",
    "host-header": "host",
    "http-header": "header",
    "http-request-method": "method",
    "query-string": "query",
    "source-ip": "source",
}


@dataclass
class Text:
    x: float
    y: float
    text: str
    cls: str = ""
    data: dict[str, str] = field(default_factory=dict)  # data-* attributes, as for Box


@dataclass
class Badge:
    x: float
    y: float
    width: float
    text: str

    @property
    def text_x(self) -> float:
        return round(self.x + 6, 1)

    @property
    def text_y(self) -> float:
        return round(self.y + 11, 1)


@dataclass
class Box:
    x: float
    y: float
    width: float
    height: float
    cls: str
    resource: str = ""  # logical id: the box links to its form
    title: str = ""  # the full text, for a tooltip and screen readers
    texts: list[Text] = field(default_factory=list)
    badges: list[Badge] = field(default_factory=list)
    # Stable data-* attributes (names without "data-") the run page's script addresses the
    # box by: the ids an event names (see _ids). They draw nothing.
    data: dict[str, str] = field(default_factory=dict)

    def text(self, line: int, value: str, cls: str = "", indent: float = PAD, **data: str) -> None:
        room = int((self.width - indent - PAD) / CHAR)
        x, y = round(self.x + indent, 1), round(self.y + 18 + line * LINE, 1)
        self.texts.append(Text(x, y, cut(value, room), cls, _data(**data)))

    def add_badges(self, names: list[str], line: int) -> None:
        x, y = self.x + PAD, self.y + 8 + line * LINE
        for name in names:
            width = min(len(name), 16) * 6.4 + 12
            if x + width > self.x + self.width - PAD:
                break
            self.badges.append(Badge(round(x, 1), round(y, 1), round(width, 1), cut(name, 16)))
            x += width + 4


@dataclass
class Edge:
    path: str
    cls: str = "edge"
    label: Text | None = None


@dataclass
class Diagram:
    width: int
    height: float
    boxes: list[Box]
    edges: list[Edge]
    empty: bool


def _data(**values: str) -> dict[str, str]:
    """data-* attributes from keyword names: target_group → data-target-group."""
    return {key.replace("_", "-"): value for key, value in values.items()}


def cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def build(document: dict[str, Any]) -> Diagram:
    model = _Model(document)
    boxes: list[Box] = []
    edges: list[Edge] = []
    bottom = _network(model, boxes)
    bottom = _routing(model, boxes, edges, bottom + GAP * 2)
    return Diagram(WIDTH, bottom + MARGIN, boxes, edges, empty=not model.resources)


class _Model:
    """The document's resources by type, with Refs resolved to logical ids."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.resources = {
            name: resource
            for name, resource in editing.resources(document).items()
            if isinstance(resource, dict)
        }

    def of(self, type_: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for name, resource in self.resources.items():
            properties = resource.get("Properties")
            if resource.get("Type") == type_:
                found.append((name, properties if isinstance(properties, dict) else {}))
        return found

    def props(self, name: str) -> dict[str, Any]:
        properties = (self.resources.get(name) or {}).get("Properties")
        return properties if isinstance(properties, dict) else {}

    def refs(self, values: Any) -> list[str]:
        names = [editing.ref_name(v) for v in values] if isinstance(values, list) else []
        return [name for name in names if name]

    def lb_subnets(self, properties: dict[str, Any]) -> list[str]:
        mappings = properties.get("SubnetMappings")
        if isinstance(mappings, list):
            return self.refs([m.get("SubnetId") for m in mappings if isinstance(m, dict)])
        return self.refs(properties.get("Subnets"))

    def balancers(self) -> list[tuple[str, dict[str, Any]]]:
        """ELBv2 and Classic load balancers, in document order."""
        kinds = (editing.LOAD_BALANCER, editing.CLASSIC_LOAD_BALANCER)
        return [
            (name, self.props(name))
            for name, resource in self.resources.items()
            if resource.get("Type") in kinds
        ]

    def lb_type(self, name: str) -> str:
        if (self.resources.get(name) or {}).get("Type") == editing.CLASSIC_LOAD_BALANCER:
            return "classic"
        return str(self.props(name).get("Type") or "application")

    def elastic_ip(self, lb: str, subnet: str) -> str:
        for mapping in self.props(lb).get("SubnetMappings") or []:
            if isinstance(mapping, dict) and editing.ref_name(mapping.get("SubnetId")) == subnet:
                return editing.ref_name(mapping.get("AllocationId")) or ""
        return ""

    def type_of(self, name: str) -> str:
        return str((self.resources.get(name) or {}).get("Type") or "")

    def launched(self) -> dict[str, list[tuple[str, list[str]]]]:
        """Subnet → (auto scaling group, the instances it launches there), as a run names
        and places them: ``<Group>-1``, ``<Group>-2``… round robin over its subnets."""
        placed: dict[str, list[tuple[str, list[str]]]] = {}
        for group, properties in self.of(editing.AUTO_SCALING_GROUP):
            subnets = [
                s
                for s in self.refs(properties.get("VPCZoneIdentifier"))
                if self.type_of(s) == editing.SUBNET
            ]
            count = _number(properties, "DesiredCapacity") or _number(properties, "MinSize")
            members: dict[str, list[str]] = {}
            for n in range(count if subnets else 0):
                members.setdefault(subnets[n % len(subnets)], []).append(f"{group}-{n + 1}")
            for subnet in subnets:
                placed.setdefault(subnet, []).append((group, members.get(subnet, [])))
        return placed


# --- the network ---------------------------------------------------------------------------
def _network(model: _Model, boxes: list[Box]) -> float:
    vpcs = model.of(editing.VPC)
    subnets = model.of(editing.SUBNET)
    zones = sorted({str(p.get("AvailabilityZone") or "?") for _n, p in subnets}) or [""]
    vpc_width = WIDTH - 2 * MARGIN
    column = (vpc_width - PAD * (len(zones) + 1)) / len(zones)
    top = MARGIN + HEADER + LINE
    columns_bottom: float = top
    for index, zone in enumerate(zones):
        x = MARGIN + PAD + index * (column + PAD)
        heading = Box(x, top, column, 0, "az", data=_data(az=zone) if zone else {})
        heading.text(0, _("Availability Zone %(zone)s") % {"zone": zone} if zone else "", "az-name")
        y: float = top + HEADER
        for name, properties in subnets:
            if str(properties.get("AvailabilityZone") or "?") == zone:
                y = _subnet(model, boxes, name, properties, x + PAD, y, column - 2 * PAD) + GAP
        heading.height = max(y - top, HEADER + GAP)
        boxes.append(heading)
        columns_bottom = max(columns_bottom, top + heading.height)
    name, properties = vpcs[0] if vpcs else ("", {})
    vpc = Box(MARGIN, MARGIN, vpc_width, columns_bottom + PAD - MARGIN, "vpc", name)
    vpc.text(0, f"VPC {name} · {properties.get('CidrBlock', '')}".strip(" ·"), "title")
    vpc.title = vpc.texts[0].text
    boxes.insert(0, vpc)
    return vpc.y + vpc.height


def _subnet(
    model: _Model,
    boxes: list[Box],
    name: str,
    properties: dict[str, Any],
    x: float,
    y: float,
    width: float,
) -> float:
    cidr = str(properties.get("CidrBlock", ""))
    nodes = [lb for lb, p in model.balancers() if name in model.lb_subnets(p)]
    instances = [
        (i, p) for i, p in model.of(editing.INSTANCE) if editing.ref_name(p.get("SubnetId")) == name
    ]
    fleets = model.launched().get(name, [])
    fleet_heights = [HEADER + len(members) * LINE + 4 for _g, members in fleets]
    node_heights = [NODE_H + (LINE if model.elastic_ip(lb, name) else 0) for lb in nodes]
    height = HEADER + sum(h + 4 for h in node_heights) + len(instances) * (INSTANCE_H + 4) + PAD
    height += sum(h + 4 for h in fleet_heights)
    subnet = Box(x, y, width, height, "subnet", name, f"{name} {cidr}")
    subnet.text(0, f"{name} · {cidr}", "title")
    boxes.append(subnet)
    inner_y = y + HEADER
    for lb, node_height in zip(nodes, node_heights, strict=True):
        node = Box(
            x + PAD,
            inner_y,
            width - 2 * PAD,
            node_height,
            f"lb-node {model.lb_type(lb)}",
            lb,
            data=_data(lb=lb, az=str(properties.get("AvailabilityZone") or "")),
        )
        address = _node_address(cidr)
        node.text(0, pgettext("diagram", "%(lb)s node %(ip)s") % {"lb": lb, "ip": address}, "", PAD)
        eip = model.elastic_ip(lb, name)
        if eip:  # an NLB node's static address
            node.text(1, pgettext("diagram", "Elastic IP %(name)s") % {"name": eip}, "muted")
        for text in node.texts:
            text.y -= 3
        node.title = " · ".join(t.text for t in node.texts)
        boxes.append(node)
        inner_y += node_height + 4
    for instance, props in instances:
        box = Box(
            x + PAD,
            inner_y,
            width - 2 * PAD,
            INSTANCE_H,
            "instance",
            instance,
            data=_data(instance=instance, az=str(properties.get("AvailabilityZone") or "")),
        )
        address = str(props.get("PrivateIpAddress") or _("auto"))
        box.text(0, f"{instance} · {address}", "title")
        groups = model.refs(props.get("SecurityGroupIds"))
        box.add_badges(groups, 1)
        box.title = f"{instance} {address} " + " ".join(groups)
        boxes.append(box)
        inner_y += INSTANCE_H + 4
    for (group, members), fleet_height in zip(fleets, fleet_heights, strict=True):
        box = Box(
            x + PAD, inner_y, width - 2 * PAD, fleet_height, "asg", group, data=_data(asg=group)
        )
        box.text(0, _("Auto Scaling group %(name)s") % {"name": group}, "title")
        for index, member in enumerate(members):
            box.text(1 + index, member, "target", instance=member)
        box.title = " ".join(t.text for t in box.texts)
        boxes.append(box)
        inner_y += fleet_height + 4
    return y + height


def _node_address(cidr: str) -> str:
    # The address cfn gives a node: the subnet's fifth (AWS reserves the first four).
    try:
        return str(ipaddress.IPv4Network(cidr).network_address + 5)
    except ValueError:
        return ""


# --- the routing ----------------------------------------------------------------------------
def _routing(model: _Model, boxes: list[Box], edges: list[Edge], top: float) -> float:
    groups_used: list[str] = []
    rows: list[tuple[Box, list[tuple[str, int | None]]]] = []  # rule box → (group, weight)
    y = top + HEADER
    headings = (
        _("Load balancers"),
        _("Listeners"),
        _("Rules, in priority order"),
        _("Target groups and targets"),
    )
    for (x, width), heading in zip(COLUMNS, headings, strict=True):
        label = Box(x, top, width, HEADER, "column-heading")
        label.text(0, heading, "heading", 0)
        boxes.append(label)
    listeners = model.of(editing.LISTENER)
    for lb, properties in model.balancers():
        lb_type = model.lb_type(lb)
        mine = [(n, p) for n, p in listeners if editing.ref_name(p.get("LoadBalancerArn")) == lb]
        lb_top = y
        if lb_type == "classic":
            y = _classic(model, boxes, edges, lb, properties, y)
        for listener, listener_props in sorted(mine, key=lambda item: _number(item[1], "Port")):
            y = _listener(
                model, boxes, edges, rows, groups_used, listener, listener_props, y, lb_type
            )
        lb_box = Box(
            COLUMNS[0][0],
            lb_top,
            COLUMNS[0][1],
            max(y - lb_top - GAP, ROW_H * 1.5),
            f"lb {lb_type}",
            lb,
            data=_data(lb=lb),
        )
        lb_box.text(0, lb, "title")
        lb_box.text(1, lb_type, "muted")
        if lb_type != "gateway":
            lb_box.text(2, f"{properties.get('Scheme', 'internet-facing')}", "muted")
        lb_box.add_badges(model.refs(properties.get("SecurityGroups")), 3)
        lb_box.title = f"{lb} {lb_type}"
        boxes.append(lb_box)
        y = max(y, lb_box.y + lb_box.height + GAP)
    group_bottom = _target_groups(model, boxes, edges, rows, groups_used, top + HEADER)
    return max(y, group_bottom)


def _classic(
    model: _Model,
    boxes: list[Box],
    edges: list[Edge],
    lb: str,
    properties: dict[str, Any],
    y: float,
) -> float:
    """A Classic LB's listeners (port → instance port) and the instances it registers."""
    listeners = [item for item in properties.get("Listeners") or [] if isinstance(item, dict)]
    instances = model.refs(properties.get("Instances"))
    x, width = COLUMNS[1]
    rx, rwidth = COLUMNS[2]
    check = properties.get("HealthCheck")
    target = str(check.get("Target", "")) if isinstance(check, dict) else ""
    height = max(
        HEADER + (len(instances) + (1 if target else 0)) * LINE + PAD,
        ROW_H - 6,
        len(listeners) * (ROW_H - 6 + 6) - 6,
    )
    registered = Box(rx, y, rwidth, height, "rule default classic", lb, data=_data(lb=lb))
    registered.text(0, _("Registered instances"), "title")
    for index, instance in enumerate(instances):
        address = model.props(instance).get("PrivateIpAddress")
        label = f"{instance} · {address}" if address else instance
        registered.text(1 + index, label, "target", target_group=lb, target_id=instance)
    if target:
        registered.text(1 + len(instances), _("health check %(path)s") % {"path": target}, "muted")
    registered.title = " ".join(t.text for t in registered.texts)
    boxes.append(registered)
    row_y = y
    for item in listeners:
        protocol = str(item.get("Protocol", "")).upper()
        back = str(item.get("InstanceProtocol") or protocol).upper()
        port = str(item.get("LoadBalancerPort", ""))
        box = Box(x, row_y, width, ROW_H - 6, "listener", lb, data=_data(lb=lb, listener_port=port))
        box.text(0, f"{protocol}:{port}", "title")
        box.text(1, f"→ {back}:{item.get('InstancePort', '')}", "muted")
        box.title = " ".join(t.text for t in box.texts)
        boxes.append(box)
        edges.append(Edge(f"M{COLUMNS[0][0] + COLUMNS[0][1]},{row_y + 20} H{x}"))
        edges.append(
            Edge(
                f"M{x + width},{row_y + 19} C{x + width + 12},{row_y + 19} "
                f"{rx - 12},{y + 19} {rx},{y + 19}",
                "edge forward",
            )
        )
        row_y += ROW_H
    return max(row_y, y + height + 6) + GAP


def _listener(
    model: _Model,
    boxes: list[Box],
    edges: list[Edge],
    rows: list[Any],
    groups_used: list[str],
    name: str,
    properties: dict[str, Any],
    y: float,
    lb_type: str = "application",
) -> float:
    rules = [
        (n, p)
        for n, p in model.of(editing.LISTENER_RULE)
        if editing.ref_name(p.get("ListenerArn")) == name
    ]
    rules.sort(key=lambda item: _number(item[1], "Priority"))
    entries = [*rules, ("", {"Actions": properties.get("DefaultActions")})]
    x, width = COLUMNS[1]
    # A GWLB listener has no protocol or port: it takes every packet, GENEVE on 6081.
    protocol = properties.get("Protocol") or ("GENEVE" if lb_type == "gateway" else "")
    port = properties.get("Port") or (6081 if lb_type == "gateway" else "")
    ids = _data(
        lb=editing.ref_name(properties.get("LoadBalancerArn")) or "", listener_port=str(port)
    )
    box = Box(x, y, width, 0, "listener", name, data={**ids, "listener": name})
    box.text(0, f"{protocol}:{port}", "title")
    box.text(1, name, "muted")
    certificates = properties.get("Certificates")
    certificate = (
        editing.ref_name(certificates[0].get("CertificateArn"))
        if isinstance(certificates, list) and certificates and isinstance(certificates[0], dict)
        else None
    )
    box.title = f"{name} {protocol}:{port}" + (
        " " + _("certificate %(name)s") % {"name": certificate} if certificate else ""
    )
    boxes.append(box)
    edges.append(Edge(f"M{COLUMNS[0][0] + COLUMNS[0][1]},{y + 20} H{x}"))
    row_y = y
    rx, rwidth = COLUMNS[2]
    for rule, rule_props in entries:
        # An event names its rule by priority, or "default" (labs.engine.events.Request).
        priority = str(rule_props.get("Priority", "")) if rule else "default"
        rule_box = Box(
            rx,
            row_y,
            rwidth,
            ROW_H - 6,
            "rule" if rule else "rule default",
            rule,
            data={**ids, "listener": name, "rule": priority},
        )
        if rule:
            rule_box.text(0, f"{rule_props.get('Priority', '?')} · {rule}", "title")
            rule_box.text(1, _conditions(rule_props.get("Conditions")), "muted")
        else:
            rule_box.text(0, pgettext("listener rule", "default"), "title")
        targets = _action(rule_box, rule_props.get("Actions"), line=2 if rule else 1)
        rule_box.height = max(rule_box.height, len(rule_box.texts) * LINE + PAD)
        rule_box.title = " ".join(t.text for t in rule_box.texts)
        boxes.append(rule_box)
        edges.append(
            Edge(
                f"M{x + width},{y + 20} C{x + width + 12},{y + 20} "
                f"{rx - 12},{row_y + 19} {rx},{row_y + 19}"
            )
        )
        rows.append((rule_box, targets))
        groups_used.extend(group for group, _w in targets if group not in groups_used)
        row_y += rule_box.height + 6
    box.height = row_y - y - 6
    return row_y + GAP


def _conditions(conditions: Any) -> str:
    parts = []
    for condition in conditions if isinstance(conditions, list) else []:
        if not isinstance(condition, dict):
            continue
        field_name = str(condition.get("Field", ""))
        config = next((v for k, v in condition.items() if k.endswith("Config")), None) or {}
        values = config.get("Values") or condition.get("Values") or []
        shown = [
            f"{v.get('Key') or '*'}={v.get('Value')}" if isinstance(v, dict) else str(v)
            for v in values
        ]
        word = CONDITION_WORDS.get(field_name, field_name)
        if field_name == "http-header":
            word = f"{word} {config.get('HttpHeaderName', '')}"
        parts.append(f"{word} {', '.join(shown)}")
    return " & ".join(parts)


def _action(box: Box, actions: Any, line: int) -> list[tuple[str, int | None]]:
    """Writes a redirect's or fixed response's summary; returns the forward's groups."""
    action = actions[0] if isinstance(actions, list) and actions else {}
    if not isinstance(action, dict):
        return []
    kind = action.get("Type")
    if kind == "redirect":
        config = action.get("RedirectConfig") or {}
        status = str(config.get("StatusCode", "HTTP_301")).replace("HTTP_", "")
        where = f"{config.get('Protocol', '#{protocol}')}://{config.get('Host', '#{host}')}"
        box.text(line, f"→ redirect {status} {where}", "action")
    elif kind == "fixed-response":
        config = action.get("FixedResponseConfig") or {}
        box.text(line, f"→ fixed-response {config.get('StatusCode', '')}", "action")
    if kind != "forward":
        return []
    if "TargetGroupArn" in action:
        name = editing.ref_name(action["TargetGroupArn"])
        return [(name, None)] if name else []
    weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    found = [
        (editing.ref_name(e.get("TargetGroupArn")), e.get("Weight"))
        for e in weighted
        if isinstance(e, dict)
    ]
    return [(name, weight) for name, weight in found if name]


def _target_groups(
    model: _Model, boxes: list[Box], edges: list[Edge], rows: list[Any], used: list[str], y: float
) -> float:
    x, width = COLUMNS[3]
    groups = dict(model.of(editing.TARGET_GROUP))
    order = [g for g in used if g in groups] + [g for g in groups if g not in used]
    anchors = {}
    fleets = model.of(editing.AUTO_SCALING_GROUP)
    for name in order:
        properties = groups[name]
        targets = [t for t in properties.get("Targets") or [] if isinstance(t, dict)]
        scaling = [
            (fleet, p) for fleet, p in fleets if name in model.refs(p.get("TargetGroupARNs"))
        ]
        # Each instance a group launches is a target of its own (``<Group>-1``…), as a run
        # names it, so the live diagram can show its health and its requests.
        launched = [
            (fleet, f"{fleet}-{n + 1}")
            for fleet, fleet_props in scaling
            for n in range(
                _number(fleet_props, "DesiredCapacity") or _number(fleet_props, "MinSize")
            )
        ]
        height = HEADER + LINE + (len(targets) + len(launched)) * LINE + PAD
        box = Box(
            x,
            y,
            width,
            height,
            "target-group" if name in used else "target-group unused",
            name,
            data=_data(target_group=name),
        )
        port = properties.get("Port", "")
        kind = properties.get("TargetType", "instance")
        where = f"{properties.get('Protocol', '')}:{port}" if kind != "lambda" else "lambda"
        box.text(0, f"{name} · {where}".rstrip(":"), "title")
        health = _("health check %(path)s") % {"path": _health_check(properties)}
        if kind == "lambda" and str(properties.get("HealthCheckEnabled")).lower() != "true":
            health = _("health checks off")  # AWS's default for Lambda target groups
        box.text(1, health if name in used else _("not used by any listener"), "muted")
        for index, target in enumerate(targets):
            box.text(
                2 + index,
                _target_label(model, target, port),
                "target",
                target_group=name,
                target_id=_target_id(target),
                target_port=str(target.get("Port", port)),
            )
        for index, (fleet, instance) in enumerate(launched, len(targets)):
            box.text(
                2 + index,
                _("%(instance)s:%(port)s (ASG)") % {"instance": instance, "port": port},
                "target",
                target_group=name,
                target_id=instance,
                target_port=str(port),
                asg=fleet,
            )
        box.title = " ".join(t.text for t in box.texts)
        boxes.append(box)
        anchors[name] = y + 19
        y += height + GAP
    for rule_box, targets in rows:
        start_x, start_y = rule_box.x + rule_box.width, rule_box.y + 19
        for group, weight in targets:
            if group not in anchors:
                continue
            end_y = anchors[group]
            label = None
            if weight is not None:
                label = Text(start_x + 8, start_y - 4, f"{weight}", "weight")
            edges.append(
                Edge(
                    f"M{start_x},{start_y} C{start_x + 20},{start_y} {x - 20},{end_y} {x},{end_y}",
                    "edge forward",
                    label,
                )
            )
    return y


def _health_check(properties: dict[str, Any]) -> str:
    """The check's path for HTTP(S) checks, else PROTOCOL:port (TCP checks have no path)."""
    protocol = properties.get("HealthCheckProtocol") or (
        "HTTP" if properties.get("Protocol") in ("HTTP", "HTTPS", None) else "TCP"
    )
    if protocol in ("HTTP", "HTTPS"):
        return str(properties.get("HealthCheckPath", "/"))
    return f"{protocol}:{properties.get('HealthCheckPort', 'traffic-port')}"


def _target_id(target: dict[str, Any]) -> str:
    """The id a run gives the target (labs.engine.spec.Target.id): the logical id it
    refers to, or the IP address an ``ip`` target is registered by."""
    return editing.ref_name(target.get("Id")) or str(target.get("Id") or "")


def _target_label(model: _Model, target: dict[str, Any], group_port: Any) -> str:
    name = editing.ref_name(target.get("Id"))
    port = target.get("Port", group_port)
    if name and model.type_of(name) == editing.LAMBDA_FUNCTION:
        handler = ((model.resources[name].get("Metadata") or {}).get("Playground") or {}).get(
            "Handler", "?"
        )
        return f"λ {name} · {handler}"
    if name and model.type_of(name) == editing.LOAD_BALANCER:
        return f"{name} (ALB) :{port}"
    if name:
        address = model.props(name).get("PrivateIpAddress")
        return f"{name} · {address}:{port}" if address else f"{name} :{port}"
    return f"{target.get('Id')}:{port}"


def _number(properties: dict[str, Any], key: str) -> int:
    try:
        return int(properties.get(key, 0))
    except (TypeError, ValueError):
        return 0
