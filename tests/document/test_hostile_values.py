"""Arbitrary JSON-ish values anywhere in the every-type template, and in its numbers most
of all: a document is valid or refused with a ``TemplateError``, never another exception
(an OverflowError from ``int(inf)``, a TypeError from a list where a name goes...)."""

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.cfn import TemplateError, dump_json, dump_yaml, load_topology
from tests.document.helpers import every_type_document


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value under ``value``: scalars, lists and mappings alike."""
    found = [path] if path else []
    if isinstance(value, dict):
        found += [p for key, item in value.items() for p in _paths(item, (*path, key))]
    elif isinstance(value, list):
        found += [p for i, item in enumerate(value) for p in _paths(item, (*path, i))]
    return found


def _is_number(path: tuple[Any, ...]) -> bool:
    node: Any = every_type_document()
    for key in path:
        node = node[key]
    number = isinstance(node, int | float) and not isinstance(node, bool)
    return number or str(node).isdigit()


PATHS = _paths(every_type_document())
NUMBERS = [path for path in PATHS if _is_number(path)]
hostile = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.floats(),  # nan and ±inf included
        st.integers(),
        st.sampled_from(
            [math.inf, -math.inf, math.nan, 1e308, 10**400, "1e999", "Infinity", "-0", "٣"]
        ),
        st.text(max_size=8),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def test_the_every_type_template_has_values_and_numbers_to_spoil():
    assert len(PATHS) > 400
    assert len(NUMBERS) > 40


@pytest.fixture(autouse=True)
def _run_limits(settings):
    settings.LAB_MAX_RPS = 200
    settings.LAB_MAX_TARGETS = 50


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(NUMBERS) | st.sampled_from(PATHS),
    hostile,
    st.sampled_from([None, dump_json, dump_yaml]),
)
def test_any_value_anywhere_is_accepted_or_a_template_error(path, value, dump):
    document = every_type_document()
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    try:
        load_topology(document if dump is None else dump(document))
    except TemplateError as error:
        assert error.problems
