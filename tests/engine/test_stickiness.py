"""Stickiness cookies: signed pins that survive the round trip and nothing else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.engine import stickiness
from labs.engine.stickiness import Pin

SECRET = b"run-secret"


@given(
    secret=st.binary(min_size=1, max_size=32),
    target=st.from_regex(r"10\.0\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{1,5}", fullmatch=True),
    expires=st.floats(min_value=0, max_value=1e9),
)
def test_every_pin_survives_its_cookie(secret, target, expires):
    pin = Pin("WebTargets", target, round(expires, 3))
    assert stickiness.decode(stickiness.encode(pin, secret), secret) == pin


def test_a_cookie_signed_with_another_secret_pins_nothing():
    value = stickiness.encode(Pin("WebTargets", "10.0.1.10:80", 100.0), b"other")
    assert stickiness.decode(value, SECRET) is None


@pytest.mark.parametrize("value", ["", "not-base64!", "AAAA", "x" * 300])
def test_garbage_pins_nothing(value):
    assert stickiness.decode(value, SECRET) is None


def test_a_pin_holds_for_its_group_until_it_expires():
    value = stickiness.encode(Pin("WebTargets", "10.0.1.10:80", 100.0), SECRET)
    assert stickiness.valid_pin(value, group="WebTargets", now=99.9, secret=SECRET)
    assert stickiness.valid_pin(value, group="WebTargets", now=100.0, secret=SECRET) is None
    assert stickiness.valid_pin(value, group="Other", now=1.0, secret=SECRET) is None


def test_set_cookie_headers_carry_awss_attributes():
    lb, cors = stickiness.set_cookie_headers("AWSALB", "AWSALBCORS", "v", 0.0)
    assert lb == "AWSALB=v; Expires=Thu, 08 Jan 1970 00:00:00 GMT; Path=/"
    assert (
        cors == "AWSALBCORS=v; Expires=Thu, 08 Jan 1970 00:00:00 GMT; Path=/; SameSite=None; Secure"
    )


def test_the_first_cookie_of_a_name_wins_across_headers():
    assert stickiness.cookies(["a=1; AWSALB=x", "AWSALB=y; b=2"]) == {
        "a": "1",
        "AWSALB": "x",
        "b": "2",
    }


def test_an_app_cookie_is_recognised_by_name_only():
    assert stickiness.response_sets_cookie(["SESSIONID=; Max-Age=0"], "SESSIONID")
    assert not stickiness.response_sets_cookie(["SESSIONIDX=1"], "SESSIONID")
