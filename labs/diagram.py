"""The builder's picture of a topology: boxes and lines, laid out by arithmetic.

Two regions, one above the other, each with a fixed grid, so the same document always
draws the same picture and a learner finds things where they were:

- the network: the VPC, one column per Availability Zone (sorted by name), and in each
  column its subnets; in a subnet, the load balancer nodes it holds, then its instances
  with their security-group badges;
- the routing: columns left to right for load balancers, listeners, rules (in priority
  order, the default action last) and target groups with their targets; lines join
  each rule to the target groups it forwards to.

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

    def text(self, line: int, value: str, cls: str = "", indent: float = PAD) -> None:
        room = int((self.width - indent - PAD) / CHAR)
        x, y = round(self.x + indent, 1), round(self.y + 18 + line * LINE, 1)
        self.texts.append(Text(x, y, cut(value, room), cls))

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
            name: resource for name, resource in editing.resources(document).items()
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


# --- the network ---------------------------------------------------------------------------
def _network(model: _Model, boxes: list[Box]) -> float:
    vpcs = model.of(editing.VPC)
    subnets = model.of(editing.SUBNET)
    zones = sorted({str(p.get("AvailabilityZone") or "?") for _n, p in subnets}) or [""]
    vpc_width = WIDTH - 2 * MARGIN
    column = (vpc_width - PAD * (len(zones) + 1)) / len(zones)
    top = MARGIN + HEADER + LINE
    columns_bottom = top
    for index, zone in enumerate(zones):
        x = MARGIN + PAD + index * (column + PAD)
        heading = Box(x, top, column, 0, "az")
        heading.text(0, _("Availability Zone %(zone)s") % {"zone": zone} if zone else "", "az-name")
        y = top + HEADER
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


def _subnet(model: _Model, boxes: list[Box], name: str, properties: dict[str, Any],
            x: float, y: float, width: float) -> float:
    cidr = str(properties.get("CidrBlock", ""))
    nodes = [lb for lb, p in model.of(editing.LOAD_BALANCER) if name in model.lb_subnets(p)]
    instances = [(i, p) for i, p in model.of(editing.INSTANCE)
                 if editing.ref_name(p.get("SubnetId")) == name]
    height = HEADER + len(nodes) * (NODE_H + 4) + len(instances) * (INSTANCE_H + 4) + PAD
    subnet = Box(x, y, width, height, "subnet", name, f"{name} {cidr}")
    subnet.text(0, f"{name} · {cidr}", "title")
    boxes.append(subnet)
    inner_y = y + HEADER
    for lb in nodes:
        node = Box(x + PAD, inner_y, width - 2 * PAD, NODE_H, "lb-node", lb)
        address = _node_address(cidr)
        node.text(0, pgettext("diagram", "%(lb)s node %(ip)s") % {"lb": lb, "ip": address}, "",
                  PAD)
        node.texts[0].y -= 3
        node.title = node.texts[0].text
        boxes.append(node)
        inner_y += NODE_H + 4
    for instance, props in instances:
        box = Box(x + PAD, inner_y, width - 2 * PAD, INSTANCE_H, "instance", instance)
        address = str(props.get("PrivateIpAddress") or _("auto"))
        box.text(0, f"{instance} · {address}", "title")
        groups = model.refs(props.get("SecurityGroupIds"))
        box.add_badges(groups, 1)
        box.title = f"{instance} {address} " + " ".join(groups)
        boxes.append(box)
        inner_y += INSTANCE_H + 4
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
    headings = (_("Load balancers"), _("Listeners"), _("Rules, in priority order"),
                _("Target groups and targets"))
    for (x, width), heading in zip(COLUMNS, headings, strict=True):
        label = Box(x, top, width, HEADER, "column-heading")
        label.text(0, heading, "heading", 0)
        boxes.append(label)
    listeners = model.of(editing.LISTENER)
    for lb, properties in model.of(editing.LOAD_BALANCER):
        mine = [(n, p) for n, p in listeners if editing.ref_name(p.get("LoadBalancerArn")) == lb]
        lb_top = y
        for listener, listener_props in sorted(mine, key=lambda item: _number(item[1], "Port")):
            y = _listener(model, boxes, edges, rows, groups_used, listener, listener_props, y)
        lb_box = Box(COLUMNS[0][0], lb_top, COLUMNS[0][1], max(y - lb_top - GAP, ROW_H * 1.5),
                     "lb", lb)
        lb_box.text(0, lb, "title")
        lb_box.text(1, f"{properties.get('Type', 'application')}", "muted")
        lb_box.text(2, f"{properties.get('Scheme', 'internet-facing')}", "muted")
        lb_box.add_badges(model.refs(properties.get("SecurityGroups")), 3)
        lb_box.title = f"{lb} {properties.get('Type', 'application')}"
        boxes.append(lb_box)
        y = max(y, lb_box.y + lb_box.height + GAP)
    group_bottom = _target_groups(model, boxes, edges, rows, groups_used, top + HEADER)
    return max(y, group_bottom)


def _listener(model: _Model, boxes: list[Box], edges: list[Edge], rows: list[Any],
              groups_used: list[str], name: str, properties: dict[str, Any], y: float) -> float:
    rules = [(n, p) for n, p in model.of(editing.LISTENER_RULE)
             if editing.ref_name(p.get("ListenerArn")) == name]
    rules.sort(key=lambda item: _number(item[1], "Priority"))
    entries = [*rules, ("", {"Actions": properties.get("DefaultActions")})]
    x, width = COLUMNS[1]
    box = Box(x, y, width, 0, "listener", name)
    box.text(0, f"{properties.get('Protocol', '')}:{properties.get('Port', '')}", "title")
    box.text(1, name, "muted")
    box.title = f"{name} {properties.get('Protocol', '')}:{properties.get('Port', '')}"
    boxes.append(box)
    edges.append(Edge(f"M{COLUMNS[0][0] + COLUMNS[0][1]},{y + 20} H{x}"))
    row_y = y
    rx, rwidth = COLUMNS[2]
    for rule, rule_props in entries:
        rule_box = Box(rx, row_y, rwidth, ROW_H - 6, "rule" if rule else "rule default", rule)
        if rule:
            rule_box.text(0, f"{rule_props.get('Priority', '?')} · {rule}", "title")
            rule_box.text(1, _conditions(rule_props.get("Conditions")), "muted")
        else:
            rule_box.text(0, pgettext("listener rule", "default"), "title")
        targets = _action(rule_box, rule_props.get("Actions"), line=2 if rule else 1)
        rule_box.height = max(rule_box.height, len(rule_box.texts) * LINE + PAD)
        rule_box.title = " ".join(t.text for t in rule_box.texts)
        boxes.append(rule_box)
        edges.append(Edge(f"M{x + width},{y + 20} C{x + width + 12},{y + 20} "
                          f"{rx - 12},{row_y + 19} {rx},{row_y + 19}"))
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
        shown = [f"{v.get('Key') or '*'}={v.get('Value')}" if isinstance(v, dict) else str(v)
                 for v in values]
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
    found = [(editing.ref_name(e.get("TargetGroupArn")), e.get("Weight")) for e in weighted
             if isinstance(e, dict)]
    return [(name, weight) for name, weight in found if name]


def _target_groups(model: _Model, boxes: list[Box], edges: list[Edge], rows: list[Any],
                   used: list[str], y: float) -> float:
    x, width = COLUMNS[3]
    groups = dict(model.of(editing.TARGET_GROUP))
    order = [g for g in used if g in groups] + [g for g in groups if g not in used]
    anchors = {}
    for name in order:
        properties = groups[name]
        targets = [t for t in properties.get("Targets") or [] if isinstance(t, dict)]
        height = HEADER + LINE + len(targets) * LINE + PAD
        box = Box(x, y, width, height, "target-group" if name in used else "target-group unused",
                  name)
        port = properties.get("Port", "")
        box.text(0, f"{name} · {properties.get('Protocol', '')}:{port}".rstrip(":"), "title")
        health = f"{properties.get('HealthCheckPath', '/')}"
        box.text(1, _("health check %(path)s") % {"path": health}
                 if name in used else _("not used by any listener"), "muted")
        for index, target in enumerate(targets):
            box.text(2 + index, _target_label(model, target, port), "target")
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
            edges.append(Edge(f"M{start_x},{start_y} C{start_x + 20},{start_y} "
                              f"{x - 20},{end_y} {x},{end_y}", "edge forward", label))
    return y


def _target_label(model: _Model, target: dict[str, Any], group_port: Any) -> str:
    name = editing.ref_name(target.get("Id"))
    port = target.get("Port", group_port)
    if name:
        address = model.props(name).get("PrivateIpAddress")
        return f"{name} · {address}:{port}" if address else f"{name} :{port}"
    return f"{target.get('Id')}:{port}"


def _number(properties: dict[str, Any], key: str) -> int:
    try:
        return int(properties.get(key))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
