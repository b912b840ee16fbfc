"""The run page's live diagram (issue 10): the builder's drawing of the template the run
keeps, the targets its events name, and the words its script uses.

The drawing is ``labs.diagram`` unchanged; its boxes carry data-* ids (LB node and zone,
listener port, rule priority, target group, target id and port) that
``static/labs/js/run_diagram.js`` addresses when a ``request``, ``flow`` or ``health``
event arrives. Events name a target by its virtual address; ``targets`` maps each
address back to the id the drawing uses. A Classic Load Balancer registers instances
itself, and its events name the load balancer as their target group, so its instances
are listed under the load balancer's name.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from labs import cfn, diagram
from labs.engine import flows, spec

# The script's words; it fills in the %(name)s placeholders.
WORDS = {
    "clients": _("Clients"),
    "matched": pgettext_lazy("listener rule", "matched"),
    "sampled": _("Showing 1 in %(n)s requests or flows: the counts stay exact."),
    "groupHealthy": _("%(healthy)s/%(total)s healthy"),
    "target": _(
        "%(target)s in %(group)s: %(state)s, %(requests)s requests, %(inflight)s in flight. "
        "Show its health."
    ),
    "mark": _("%(request)s: %(status)s. Show its decision trace."),
    "flowMark": _("%(client)s → %(target)s: %(state)s"),
    "healthHeading": _("Health of %(target)s in %(group)s"),
    "stateStep": _("Health state"),
    "reason": _("Reason code %(code)s: %(meaning)s"),
    "noReason": _("No reason code: AWS gives none for this state."),
    "previous": _("Before this it was %(state)s."),
    "checksStep": _("Last health checks"),
    "noChecks": _("No health check has finished yet."),
    "trafficStep": _("Traffic"),
    "traffic": _("%(requests)s requests served; %(inflight)s in flight on the diagram now."),
    "outstanding": _(
        "At the last least-outstanding-requests choice it had %(count)s requests outstanding."
    ),
    "fault": _("Fault injected on this target: %(mode)s."),
}

# What each health state means for traffic (AWS, "Target health status").
STATE_MEANINGS = {
    "initial": _(
        "The load balancer is registering the target or running its first health checks. "
        "It sends it no requests yet."
    ),
    "healthy": _("The target passes its health checks and receives requests."),
    "unhealthy": _(
        "The target failed its health checks. It receives no requests, unless every target "
        "in the group is unhealthy: then the load balancer fails open and uses them all."
    ),
    "unused": _(
        "The target is not registered in an enabled Availability Zone, or no listener "
        "forwards to its target group. It receives no requests."
    ),
    "draining": _(
        "The target is being deregistered: it gets no new requests, and requests already in "
        "flight may finish during the deregistration delay."
    ),
    "unavailable": _(
        "Health checks are turned off for this target group, so the load balancer cannot "
        "tell its health and sends it requests all the same."
    ),
    "InService": _("The instance passes its health checks and receives requests."),
    "OutOfService": _(
        "The instance failed its health checks or is being deregistered. It receives no requests."
    ),
}

# The marks' outcomes, in the legend's order (the script draws each with its own shape).
OUTCOMES = {
    "ok": _("2xx: success"),
    "redirect": _("3xx: redirect"),
    "client": _("4xx: client error"),
    "target5xx": _("5xx from the target"),
    "lb5xx": _("5xx from the load balancer"),
    "flow": _("Flow opened or packet delivered (NLB, GWLB)"),
    "flowDropped": _("Flow reset or packet dropped (NLB, GWLB)"),
}


def context(run: Any, topology: spec.Topology | None) -> dict[str, Any]:
    """``run_diagram`` for ``labs/_run_diagram.html``: the drawing (None when the template
    no longer parses) and the script's configuration and words. ``topology`` is the run's
    template loaded (None when it does not load), which the page has already done."""
    try:
        document = cfn.parse_document(run.document)
    except cfn.TemplateError:
        return {"run_diagram": None}
    drawing = diagram.build(document)
    if drawing.empty:
        return {"run_diagram": None}
    types = {lb.type for lb in topology.load_balancers} if topology else set()
    # Which marks a run of it can show: requests (ALB, Classic), flows (NLB, GWLB, Classic TCP).
    kinds = {"request"} if types & {"application", "classic"} else set()
    kinds |= {"flow"} if types & {"network", "gateway", "classic"} else set()
    return {
        "run_diagram": {
            "drawing": drawing,
            "outcomes": [
                (code, words, "flow" if code.startswith("flow") else "request")
                for code, words in OUTCOMES.items()
            ],
            "kinds": kinds or {"request", "flow"},
            "config": {
                "targets": _targets(topology) if topology else [],
                "words": _evaluated(WORDS),
                "meanings": _evaluated(STATE_MEANINGS),
                "outcomes": _evaluated(OUTCOMES),
            },
        }
    }


def _evaluated(table: dict[str, Any]) -> dict[str, str]:
    return {code: str(words) for code, words in table.items()}


def _targets(topology: spec.Topology) -> list[dict[str, Any]]:
    """Every (group, target) a run's events can name: address, drawing id, port, zone, and
    the other addresses events may name it by."""
    found = [(group.name, target) for group in topology.target_groups for target in group.targets]
    found += [(lb.name, instance) for lb in topology.load_balancers for instance in lb.instances]
    # An NLB's ALB target is reached at the ALB's nodes, and its events name those addresses.
    nodes: dict[tuple[str, str], list[str]] = {}
    for group in topology.target_groups:
        for node in flows.alb_nodes(group, topology.load_balancers).targets:
            if group.target_type == "alb":
                nodes.setdefault((group.name, node.id), []).append(node.address)
    return [
        {
            "group": group,
            "id": target.id,
            "address": target.address if target.ip else target.id,
            "port": str(target.port) if target.ip else "",
            "az": target.az,
            "aliases": nodes.get((group, target.id), []),
        }
        for group, target in found
    ]
