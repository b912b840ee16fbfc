"""The request event carries the engine's trace, rendered per batch (DESIGN.md events)."""

import pytest

from .helpers import of_type, run_until, topology

pytestmark = pytest.mark.timeout(30)


async def test_every_request_event_carries_its_rendered_trace():
    events, _ = await run_until(
        topology(), lambda events: len([e for e in of_type(events, "request")]) >= 4
    )

    requests = of_type(events, "request")
    for event in requests:
        assert event["trace"]["rules"] == [
            {"rule": "default", "name": None, "matched": True, "conditions": []}
        ]
        assert event["trace"]["target"]["chosen"] == event["target"]
        assert event["trace"]["target"]["reason"] == event["reason"] == "round_robin"
    assert {e["trace"]["target"]["position"] for e in requests} >= {0, 1}
