"""The NLB node on real loopback sockets: client IP preservation, PPv2, flows (spec §6)."""

import asyncio
import gc
import socket

import pytest
import uvloop

from labs.engine import proxy_protocol
from labs.engine.events import validate
from labs.engine.flows import FAIL_OPEN, HASH_OWN_ZONE, NO_TARGET
from labs.engine.health import UNHEALTHY
from labs.runtime.proxy_tcp import SocketFlow, _Pipe

from .nlb_helpers import NODE_A, NODE_B, Nlb, target

pytestmark = pytest.mark.timeout(30)

CLIENT = "198.51.100.7"
A1, A2, B1 = target("10.0.1.10"), target("10.0.1.11"), target("10.0.2.10", "us-east-1b")


def closed(event):
    return event["type"] == "flow" and event["state"] in ("closed", "reset")


async def exchange(writer, reader, data: bytes) -> bytes:
    writer.write(data)
    await writer.drain()
    async with asyncio.timeout(5):
        return await reader.readline()


async def test_with_preservation_on_the_target_sees_the_clients_own_socket_as_its_peer():
    async with Nlb([A1]) as nlb:  # instance targets: preserve_client_ip defaults on
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        client_socket = writer.get_extra_info("sockname")[:2]
        writer.close()
        assert nlb.targets[0].peers == [client_socket]
        assert nlb.sandbox.virtual(client_socket[0]) == CLIENT
        (event,) = await nlb.wait_for(closed)
        assert event["source_seen_by_target"] == f"{CLIENT}:{client_socket[1]}"


async def test_a_client_that_cannot_share_its_port_keeps_its_address_but_not_its_port():
    async with Nlb([A1]) as nlb:
        reader, writer = await nlb.connect(CLIENT, share_port=False)
        await exchange(writer, reader, b"hi")
        host, port = writer.get_extra_info("sockname")[:2]
        writer.close()
        (peer,) = nlb.targets[0].peers
        assert peer[0] == host
        assert peer[1] != port


async def test_with_preservation_off_the_target_sees_the_nodes_address():
    async with Nlb([A1], target_type="ip") as nlb:  # ip targets over TCP: off by default
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        writer.close()
        ((host, _),) = nlb.targets[0].peers
        assert host == nlb.nodes[0].host
        assert nlb.sandbox.virtual(host) == NODE_A.ip


async def test_preserve_client_ip_can_be_turned_on_for_ip_targets():
    attributes = {"preserve_client_ip.enabled": "true"}
    async with Nlb([A1], target_type="ip", attributes=attributes) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        writer.close()
        assert nlb.sandbox.virtual(nlb.targets[0].peers[0][0]) == CLIENT


async def test_proxy_protocol_v2_header_comes_first_byte_for_byte():
    async with Nlb([A1], attributes={"proxy_protocol_v2.enabled": "true"}) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hello")
        port = writer.get_extra_info("sockname")[1]
        writer.close()
        expected = (
            b"\r\n\r\n\x00\r\nQUIT\n"
            + bytes([0x21, 0x11, 0x00, 0x0C])
            + bytes([198, 51, 100, 7])  # the client, virtual
            + bytes([10, 0, 1, 5])  # the node, virtual
            + port.to_bytes(2, "big")
            + (80).to_bytes(2, "big")
        )
        assert nlb.targets[0].received[0] == expected + b"hello"
        assert expected == proxy_protocol.header((CLIENT, port), (NODE_A.ip, 80))


async def test_without_proxy_protocol_the_target_gets_the_clients_bytes_untouched():
    async with Nlb([A1]) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"\x00\x01 not http at all")
        writer.close()
        assert nlb.targets[0].received[0] == b"\x00\x01 not http at all"


async def test_a_connection_keeps_its_target_while_health_changes_under_it():
    async with Nlb([A1, A2]) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        first = await exchange(writer, reader, b"1")
        for address in nlb.health:  # its target turns unhealthy, the other stays healthy
            nlb.health[address] = UNHEALTHY if address.encode() in first else "healthy"
        answers = {await exchange(writer, reader, str(n).encode()) for n in range(20)}
        writer.close()
        assert answers == {first}
        (event,) = await nlb.wait_for(closed)
        assert event["bytes_from_client"] == 1 + sum(len(str(n)) for n in range(20))


async def test_every_connection_gets_a_flow_event_when_it_opens_and_when_it_closes():
    async with Nlb([A1, A2]) as nlb:
        ports = []
        for _ in range(8):
            reader, writer = await nlb.connect(CLIENT)
            await exchange(writer, reader, b"x")
            ports.append(writer.get_extra_info("sockname")[1])
            writer.close()
        ends = await nlb.wait_for(lambda e: closed(e) and len(nlb.events) >= 16)
        opens = [e for e in nlb.events if e["state"] == "open"]
        assert sorted(e["client_port"] for e in ends) == sorted(ports)
        assert sorted(e["client_port"] for e in opens) == sorted(ports)
        event = ends[0]
        assert event["state"] == "closed" and event["closed_by"] == "client"
        assert event["reason"] == HASH_OWN_ZONE
        assert event["hash"] == f"TCP {CLIENT}:{event['client_port']} → 10.0.1.5:80"
        assert event["target"] in (A1.address, A2.address)
        assert event["bytes"] == 1 + len(A1.address) + 1
        assert {
            "client_ip",
            "client_port",
            "protocol",
            "lb",
            "node_az",
            "target",
            "hash",
            "bytes",
            "reason",
        } <= set(event)


async def test_all_targets_unhealthy_fail_open():
    async with Nlb([A1, A2]) as nlb:
        nlb.health.update(dict.fromkeys(nlb.health, UNHEALTHY))
        reader, writer = await nlb.connect(CLIENT)
        answer = await exchange(writer, reader, b"x")
        writer.close()
        assert answer.strip().decode() in (A1.address, A2.address)
        (event,) = await nlb.wait_for(closed)
        assert event["reason"] == FAIL_OPEN


async def test_a_node_whose_zone_has_no_healthy_target_resets_the_connection():
    async with Nlb([A1, B1], nodes=(NODE_A, NODE_B)) as nlb:
        nlb.health[A1.address] = UNHEALTHY  # cross-zone off: node A may not use B1
        reader, writer = await nlb.connect(CLIENT, node=0)
        with pytest.raises(ConnectionError):
            await exchange(writer, reader, b"x")
            await exchange(writer, reader, b"x")  # the RST may arrive after one write
        writer.close()
        (event,) = await nlb.wait_for(closed)
        assert (event["state"], event["target"], event["reason"]) == ("reset", None, NO_TARGET)


async def test_cross_zone_on_lets_a_node_use_the_other_zones_targets():
    async with Nlb(
        [A1, B1], nodes=(NODE_A, NODE_B), attributes={"load_balancing.cross_zone.enabled": "true"}
    ) as nlb:
        nlb.health[A1.address] = UNHEALTHY
        reader, writer = await nlb.connect(CLIENT, node=0)
        assert await exchange(writer, reader, b"x") == B1.address.encode() + b"\n"
        writer.close()


async def test_an_idle_flow_is_reset_after_the_listener_idle_timeout():
    # 60 lab seconds at 600x: a tenth of a wall second.
    async with Nlb(
        [A1], listener_attributes={"tcp.idle_timeout.seconds": "60"}, clock_speed=600
    ) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"x")
        (event,) = await nlb.wait_for(closed)
        assert (event["state"], event["closed_by"]) == ("reset", "idle_timeout")
        with pytest.raises(ConnectionError):
            async with asyncio.timeout(5):
                await reader.read()
        writer.close()


async def test_a_half_close_passes_through_and_the_answer_still_arrives():
    async with Nlb([A1]) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        writer.write(b"last words")
        writer.write_eof()
        async with asyncio.timeout(5):
            assert await reader.read() == A1.address.encode() + b"\n"
        writer.close()
        (event,) = await nlb.wait_for(closed)
        assert event["state"] == "closed"


async def test_a_refused_connection_to_the_target_resets_the_client():
    async with Nlb([A1]) as nlb:
        nlb.targets[0].server.close()
        await nlb.targets[0].server.wait_closed()
        reader, writer = await nlb.connect(CLIENT)
        with pytest.raises(ConnectionError):
            async with asyncio.timeout(5):
                await reader.read()
        writer.close()
        (event,) = await nlb.wait_for(closed)
        assert (event["state"], event["closed_by"]) == ("reset", "target")


def test_bytes_and_a_fin_sent_before_the_target_connects_still_arrive_under_uvloop():
    # The worker runs uvloop, which may read a first chunk before pause_reading holds.
    async def scenario() -> bytes:
        async with Nlb([A1]) as nlb:
            reader, writer = await nlb.connect(CLIENT)
            writer.write(b"early")
            writer.write_eof()
            async with asyncio.timeout(5):
                answer = await reader.read()
            writer.close()
            assert nlb.targets[0].received == [b"early"]
            return answer

    assert uvloop.run(scenario()) == A1.address.encode() + b"\n"


async def test_with_preservation_off_the_event_names_the_port_the_target_saw():
    async with Nlb([A1], target_type="ip") as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        writer.close()
        ((_, port),) = nlb.targets[0].peers
        (event,) = await nlb.wait_for(closed)
        assert event["source_seen_by_target"] == f"{NODE_A.ip}:{port}"


async def test_a_target_whose_accept_queue_is_full_is_waited_for_until_the_connect_timeout():
    # A full accept queue drops the SYN, so connect() is still under way when it returns:
    # the node waits (10 lab seconds, 0.1 s here) and then resets the flow, never open.
    async with Nlb([A1], clock_speed=100) as nlb:
        with socket.socket() as listening, socket.socket() as queued:
            listening.bind((nlb.sandbox.loopback(A1.ip), 0))
            listening.listen(0)
            nlb.sandbox.publish(A1.address, listening.getsockname())
            queued.connect(listening.getsockname())  # the one place the queue has
            reader, writer = await nlb.connect(CLIENT)
            with pytest.raises(ConnectionError):
                async with asyncio.timeout(5):
                    await reader.read()
            writer.close()
            (event,) = await nlb.wait_for(closed)
        assert (event["state"], event["closed_by"]) == ("reset", "target")
        assert not [e for e in nlb.events if e["state"] == "open"]


@pytest.mark.parametrize("attributes", [{}, {"proxy_protocol_v2.enabled": "true"}])
async def test_a_flows_noted_events_keep_what_the_flow_was_when_noted(attributes):
    # The node notes a flow's events as it goes and builds them when the batch is drained
    # (FlowNote.wire_at): each says the state and byte counts of its moment, not the end's.
    nlb = Nlb([A1, B1], nodes=(NODE_A, NODE_B), target_type="ip", attributes=attributes)
    notes, wire = [], nlb.report

    def report(note):
        notes.append(note)
        wire(note)

    nlb.report = report  # the nodes take it as they start
    async with nlb:
        reader, writer = await nlb.connect(CLIENT, node=1)
        assert await exchange(writer, reader, b"hello") == B1.address.encode() + b"\n"
        writer.close()
        await nlb.wait_for(closed)
        nlb.health[A1.address] = UNHEALTHY  # node A has nothing to send to: a reset
        reader, writer = await nlb.connect(CLIENT, node=0)
        await nlb.wait_for(lambda e: closed(e) and e["reason"] == NO_TARGET)
        writer.close()
    built = [note.wire_at(1234.5) for note in notes]
    for event in built:
        validate(event)
    assert [e["state"] for e in built] == ["open", "closed", "reset"]
    opened, closed_, reset = (e["bytes_from_client"] for e in built)
    # "hello" may have come before the target connection did (then open counts it too).
    assert (opened in (0, 5), closed_, reset) == (True, 5, 0)
    assert {e["emitted"] for e in built} == {1234.5}
    assert [e["t"] for e in built] == [note.t for note in notes]  # noted, not drained, then


@pytest.mark.parametrize("attributes", [{}, {"proxy_protocol_v2.enabled": "true"}])
async def test_with_preservation_off_the_event_names_the_nodes_socket_the_target_saw(attributes):
    # The kernel picks the port then; the node reads it from the upstream transport.
    async with Nlb([A1], target_type="ip", attributes=attributes) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        writer.close()
        ((host, port),) = nlb.targets[0].peers
        (event,) = await nlb.wait_for(closed)
        assert event["source_seen_by_target"] == f"{nlb.sandbox.virtual(host)}:{port}"
        assert event["source_seen_by_target"].startswith(NODE_A.ip + ":")


# The worker runs uvloop; the node's poller sits on either loop's add_reader.
LOOPS = [pytest.param(asyncio.run, id="asyncio"), pytest.param(uvloop.run, id="uvloop")]


async def _serve_own_target(nlb: Nlb, serve) -> asyncio.Server:
    """Stand ``serve`` in for A1's socket (A1's recording target stays unused)."""
    server = await asyncio.start_server(serve, nlb.sandbox.loopback(A1.ip), 0)
    nlb.sandbox.publish(A1.address, server.sockets[0].getsockname()[:2])
    return server


@pytest.mark.parametrize("run", LOOPS)
def test_megabytes_each_way_arrive_whole_and_in_order_through_full_buffers(run):
    # The client sends 8 MB and reads the echo 4 KB at a time: slower than it sends, so
    # the node's sockets fill both ways and its pipes wait for their sinks.
    payload = bytes(range(256)) * 32768

    async def echo(reader, writer):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def scenario():
        async with Nlb([A1]) as nlb:
            server = await _serve_own_target(nlb, echo)
            reader, writer = await nlb.connect(CLIENT)

            async def send():
                for at in range(0, len(payload), 65536):
                    writer.write(payload[at : at + 65536])
                    await writer.drain()
                writer.write_eof()

            sending = asyncio.create_task(send())
            echoed = bytearray()
            async with asyncio.timeout(20):
                while chunk := await reader.read(4096):
                    echoed += chunk
            await sending
            writer.close()
            (event,) = await nlb.wait_for(closed)
            server.close()
            return bytes(echoed), event

    echoed, event = run(scenario())
    assert echoed == payload
    assert (event["state"], event["closed_by"]) == ("closed", "client")
    assert event["bytes_from_client"] == event["bytes_from_target"] == len(payload)


@pytest.mark.parametrize("run", LOOPS)
def test_a_target_that_speaks_first_is_heard_before_the_client_sends_a_byte(run):
    async def banner(reader, writer):
        writer.write(b"220 ready\n")
        await writer.drain()
        await reader.read()
        writer.close()

    async def scenario():
        async with Nlb([A1]) as nlb:
            server = await _serve_own_target(nlb, banner)
            reader, writer = await nlb.connect(CLIENT)
            async with asyncio.timeout(5):
                line = await reader.readline()
            writer.close()
            await nlb.wait_for(closed)
            server.close()
            return line

    assert run(scenario()) == b"220 ready\n"


@pytest.mark.parametrize("run", LOOPS)
def test_a_client_reset_resets_the_targets_side_and_the_flow_says_the_client_did(run):
    async def scenario():
        target_saw: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def wait_for_the_end(reader, writer):
            try:
                await reader.read()
                target_saw.set_result("fin")
            except ConnectionResetError:
                target_saw.set_result("reset")
            writer.close()

        async with Nlb([A1]) as nlb:
            server = await _serve_own_target(nlb, wait_for_the_end)
            _, writer = await nlb.connect(CLIENT)
            writer.write(b"x")  # one byte to the target, none back: then a RST
            await writer.drain()
            await nlb.wait_for(lambda e: e["type"] == "flow" and e["state"] == "open")
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            writer.transport.abort()
            (event,) = await nlb.wait_for(closed)
            async with asyncio.timeout(5):
                seen = await target_saw
            server.close()
            return event, seen

    event, seen = run(scenario())
    assert (event["state"], event["closed_by"]) == ("reset", "client")
    assert seen == "reset"


async def test_both_of_a_flows_sockets_send_small_writes_at_once():
    # Nagle's algorithm would hold a second small write until the first is acknowledged,
    # up to a delayed ACK's 40 ms: the node sends as it receives, as AWS's does.
    async with Nlb([A1]) as nlb:
        reader, writer = await nlb.connect(CLIENT)
        await exchange(writer, reader, b"hi")
        (flow,) = nlb.nodes[0].live.values()
        for sock in (flow.client, flow.target):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        writer.close()


async def test_a_finished_flow_is_freed_by_reference_counting_not_by_the_collector():
    # A flow's pipes point back at it. Kept to its end, every connection would be cyclic
    # garbage, left to the collector (and its pauses) at thousands of connections a second.
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable stays in gc.garbage
    try:
        async with Nlb([A1]) as nlb:
            reader, writer = await nlb.connect(CLIENT)
            await exchange(writer, reader, b"hi")
            writer.close()
            await nlb.wait_for(closed)
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, SocketFlow | _Pipe)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []
