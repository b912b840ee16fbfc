"""The live lab's part of the run page: the request console, traffic and fault controls.

Only what the template needs to draw them (labs/_live_console.html); the commands go
through labs.services.control_run / inject_fault like every other change to a run.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from labs import frames
from labs import messages as codes
from labs.engine import spec

# The faults the live lab offers as buttons, in the order shown (labs.messages.FAULT_MODES).
FAULT_BUTTONS = ("stopped", "hang", "5xx", "slow", "flap", "normal")
PUBLIC_CLIENT = "203.0.113.25"  # RFC 5737 TEST-NET-3: a public-looking address


def live_context(parsed: spec.Topology | None) -> dict[str, Any]:
    """The console's listeners and default client, the zones and instances faults can
    hit, and the traffic as the template sets it."""
    if parsed is None:
        return {"live": None}
    listeners = [
        {
            "value": f"{lb.name}:{listener.port}",
            "lb": lb.name,
            "port": listener.port,
            "protocol": listener.protocol,
            "client_ip": _default_client(lb, parsed),
        }
        for lb, listener in frames.console_listeners(parsed)
    ]
    not_http = [
        {"lb": lb.name, "port": listener.port, "protocol": listener.protocol}
        for lb in parsed.load_balancers
        for listener in lb.listeners
        if f"{lb.name}:{listener.port}" not in {item["value"] for item in listeners}
    ]
    instances = sorted(
        {(t.address, t.id, t.az) for g in parsed.target_groups for t in g.targets if t.ip}
    )
    traffic = parsed.traffic
    return {
        "live": {
            "listeners": listeners,
            "not_http": not_http,
            "methods": frames.METHODS,
            "zones": sorted({az for _address, _id, az in instances}),
            "instances": [{"address": a, "id": i, "az": az} for a, i, az in instances],
            "fault_buttons": [(mode, codes.FAULT_MODES[mode]) for mode in FAULT_BUTTONS],
            "fault_help": [codes.FAULT_HELP[mode] for mode in (*FAULT_BUTTONS, "az")],
            "rps": f"{traffic.rps:g}",
            "clients": traffic.clients,
            "max_clients": frames.MAX_CLIENTS,
            "max_rps": settings.LAB_MAX_RPS,
            "mix": [
                {"path": path, "host": traffic.host or "", "weight": 1} for path in traffic.paths
            ],
        }
    }


def _default_client(lb: spec.LoadBalancer, topology: spec.Topology) -> str:
    """A client the LB lets in: public for internet-facing, inside the VPC if internal."""
    if lb.scheme != "internal":
        return PUBLIC_CLIENT
    network = topology.vpc_cidr.split("/")[0].rsplit(".", 2)[0]
    return f"{network}.250.25"
