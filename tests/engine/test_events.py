import dataclasses

import pytest

from labs.engine import events
from labs.engine.events import Fault, Health, InvalidEvent, RunStatus, validate

HEALTH = Health(
    t=1.0,
    emitted=1.7e9,
    target_group="WebTargets",
    target="10.0.1.10:80",
    instance="Web1",
    az="us-east-1a",
    state="healthy",
    previous="initial",
    reason=None,
    description="",
    check={"status": 200, "latency_ms": 3.5, "error": None},
)


def test_every_event_type_of_the_design_is_defined_once():
    assert set(events.TYPES) == {
        "run.status",
        "request",
        "flow",
        "health",
        "metrics",
        "fault",
        "autoscaling",
        "console",
        "tls.error",
        "quiz",
        "hint",
        "snapshot",
    }


def test_an_event_is_frozen_once_built():
    with pytest.raises(dataclasses.FrozenInstanceError):
        HEALTH.state = "unhealthy"  # type: ignore[misc]


def test_the_wire_object_leads_with_type_and_carries_t_and_emitted():
    wire = HEALTH.wire()

    assert list(wire)[:3] == ["type", "t", "emitted"]
    assert wire["type"] == "health"
    validate(wire)


def test_an_optional_field_is_left_out_while_it_is_none():
    refused = Fault(t=0.0, emitted=1.7e9, action="fault", error="InvalidTarget", message="no")

    assert "error" in refused.wire()
    assert "by" not in refused.wire()
    assert "error" not in Fault(t=0.0, emitted=1.7e9, action="traffic", rps=3.0).wire()
    validate(refused.wire())


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        pytest.param({"colour": "red"}, "unknown fields", id="unknown field"),
        pytest.param({"state": 3}, "health.state", id="wrong type"),
        pytest.param({"check": {"status": "200x", "latency_ms": [1]}}, "health.check", id="nested"),
        pytest.param({"t": True}, "health.t", id="a bool is no number"),
        pytest.param({"type": "gossip"}, "unknown event type", id="unknown type"),
    ],
)
def test_validate_refuses_what_the_contract_does_not_say(change, complaint):
    with pytest.raises(InvalidEvent, match=complaint):
        validate({**HEALTH.wire(), **change})


def test_validate_refuses_a_missing_required_field_but_not_a_missing_optional_one():
    wire = HEALTH.wire()
    del wire["emitted"]
    with pytest.raises(InvalidEvent, match="missing emitted"):
        validate(wire)
    validate(RunStatus(t=0.0, emitted=1.7e9, state="queued").wire())


@pytest.mark.parametrize("cls", list(events.TYPES.values()), ids=list(events.TYPES))
@pytest.mark.parametrize("optional", ["unset", "set"])
def test_every_type_wires_its_fields_in_declared_order_leaving_out_unset_optional_ones(
    cls, optional
):
    # A distinct value per field (its position), optional fields left at None or set too.
    declared = dataclasses.fields(cls)
    values = {
        f.name: n for n, f in enumerate(declared) if f.default is not None or optional == "set"
    }
    wire = cls(**values).wire()

    expected = ["type"] + [f.name for f in declared if f.name in values]
    assert list(wire) == expected
    assert wire["type"] == cls.TYPE
    assert all(wire[name] == value for name, value in values.items())
