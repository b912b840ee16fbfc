"""Our ALB node alone, for the benchmark: ten rules, round robin, XFF, access-log events.

The proxy is the real one (``labs.runtime.proxy_http``) with its real event sink, set up
as a lab run sets it up (the browser's share of 100 request events per batch, the
collector's pace): each request's access-log fields, metrics and counters are taken a
slice per loop turn, and every 100 ms the batch is drained as a run's flush drains it,
building the sampled request events with their access-log line and rendered trace a slice
per loop turn. (The metrics window a run closes once a second is not closed here.) Only
the target is different: the benchmark's shared backend, published in this process's
sandbox like any run's target.
"""

import argparse
import asyncio
import random
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop

from labs.engine.balancing import RoundRobin
from labs.engine.spec import (
    Action,
    Condition,
    Listener,
    LoadBalancer,
    Node,
    Rule,
    Target,
    TargetGroup,
)
from labs.runtime.clock import LabClock
from labs.runtime.collector import pace_for_proxying
from labs.runtime.orchestrator import BROWSER_REQUESTS_PER_BATCH
from labs.runtime.proxy_http import AlbNode, ProxyContext
from labs.runtime.sandbox import Sandbox
from labs.runtime.wire import EventSink

TARGET = "10.0.1.10:80"
NODE_IP = "10.0.1.5"  # listens on 127.0.1.5


def listener() -> Listener:
    forward = (Action(type="forward", target_groups=(("Web", 1),)),)
    rules = tuple(
        Rule(
            name=f"Rule{n}",
            priority=n,
            actions=forward,
            conditions=(
                Condition(field="path-pattern", values=(f"/api/v{n}/*",)),
                Condition(field="http-request-method", values=("POST",)),
            ),
        )
        for n in range(1, 10)
    )
    return Listener(name="Http", protocol="HTTP", port=80, default_actions=forward, rules=rules)


def bench_node(backend: tuple[str, int]) -> tuple[AlbNode, Sandbox, EventSink]:
    """The bench's ALB node in front of ``backend``, its sandbox and its event sink (the
    served bench and the in-process one measure the same listener)."""
    pace_for_proxying()  # as a lab run does
    sandbox = Sandbox()
    sandbox.publish(TARGET, backend)
    sink = EventSink(max_requests_per_batch=BROWSER_REQUESTS_PER_BATCH, rng=random.Random(1))
    group = TargetGroup(
        name="Web", targets=(Target(id="Web1", ip="10.0.1.10", port=80, az="us-east-1a"),)
    )
    ctx = ProxyContext(
        sandbox=sandbox,
        clock=LabClock(10),
        groups={"Web": group},
        addresses={"Web": [TARGET]},
        health={"Web": {TARGET: "healthy"}},
        algorithms={"Web": RoundRobin()},
        outstanding={},
        record=sink.record,
        rng=random.Random(2),
    )
    lb = LoadBalancer(name="Bench", nodes=(Node(az="us-east-1a", ip=NODE_IP),))
    return AlbNode(lb, lb.nodes[0], listener(), ctx), sandbox, sink


async def serve(port: int, backend: tuple[str, int]) -> None:
    node, _sandbox, sink = bench_node(backend)
    await node.start(port)
    print("ready", flush=True)
    while True:
        await asyncio.sleep(0.1)
        await sink.drain_paced()  # as a run's flush does


def run(serve: Callable[[int, tuple[str, int]], Coroutine[Any, Any, None]]) -> None:
    """``--port P --backend host:port``: serve on P in front of that backend (both benches)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", required=True, help="host:port")
    args = parser.parse_args()
    host, port = args.backend.rsplit(":", 1)
    uvloop.run(serve(args.port, (host, int(port))))


def main() -> None:
    run(serve)


if __name__ == "__main__":
    main()
