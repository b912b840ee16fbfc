"""Our NLB node alone, for the benchmark: one TCP:80 listener passing bytes to one target.

The node is the real one (``labs.runtime.proxy_tcp``) with the run's event sink: every
connection gets its ``flow`` events, drained every 100 ms as in a lab run, and the garbage
collector keeps a lab run's pace (``collector.pace_for_proxying``). The target is
the benchmark's backend (HAProxy answering HTTP, or an iperf3 server), published in this
process's sandbox like any run's target. IP targets: the node connects from its own address
(client IP preservation is off for IP targets by default, §6.3).
"""

import asyncio
import random

from labs.engine.health import HEALTHY
from labs.engine.spec import Action, Listener, LoadBalancer, Node, Target, TargetGroup
from labs.runtime.clock import LabClock
from labs.runtime.collector import pace_for_proxying
from labs.runtime.proxy_http import ProxyContext
from labs.runtime.proxy_tcp import NlbNode
from labs.runtime.sandbox import Sandbox
from labs.runtime.wire import EventSink

from .serve import run

TARGET = Target(id="Tcp1", ip="10.0.1.10", port=80, az="us-east-1a")
NODE = Node(az="us-east-1a", ip="10.0.1.6")  # listens on 127.0.1.6


async def serve(port: int, backend: tuple[str, int]) -> None:
    pace_for_proxying()  # as a lab run does
    sandbox = Sandbox()
    sandbox.publish(TARGET.address, backend)
    sink = EventSink(max_requests_per_batch=100, rng=random.Random(1))
    group = TargetGroup(name="Tcp", protocol="TCP", target_type="ip", targets=(TARGET,))
    listener = Listener(
        name="Tcp",
        protocol="TCP",
        port=80,
        default_actions=(Action(type="forward", target_groups=(("Tcp", 1),)),),
    )
    ctx = ProxyContext(
        sandbox=sandbox,
        clock=LabClock(10),
        groups={"Tcp": group},
        addresses={"Tcp": [TARGET.address]},
        health={"Tcp": {TARGET.address: HEALTHY}},
        algorithms={},
        outstanding={},
        record=lambda exchange: None,
        rng=random.Random(2),
        zones={TARGET.address: TARGET.az},
    )
    lb = LoadBalancer(name="Bench", type="network", nodes=(NODE,), listeners=(listener,))
    node = NlbNode(lb, NODE, listener, ctx, sink.add, b"bench")
    await node.start(port)
    print("ready", flush=True)
    while True:
        await asyncio.sleep(0.1)
        sink.drain()


def main() -> None:
    run(serve)


if __name__ == "__main__":
    main()
