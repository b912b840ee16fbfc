"""The NLB's, GWLB's and Classic Load Balancer's in-lab questions: each trigger has the
question written for it in the shipped bank, that question is the one a run asks when the
trigger fires, and it is about the load balancer type whose event fired it."""

import json
from pathlib import Path

import pytest

from playground.quizzes.services import lab
from playground.quizzes.triggers import BY_CODE
from tests.factories import make_run

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "playground" / "quizzes" / "content" / "questions.json"

# trigger -> (the question it asks, the load balancer type's topic, words its prompt names)
WRITTEN_FOR = {
    "nlb_flow_hash": ("nlb-flow-hash-pins-connection", "nlb", ("Network Load Balancer",)),
    "nlb_client_ip_preserved": ("nlb-client-ip-instance-targets", "nlb", ("NLB", "source")),
    "nlb_client_ip_not_preserved": ("nlb-client-ip-not-preserved", "nlb", ("node's private IP",)),
    "nlb_cross_zone_off": ("nlb-cross-zone-off-shares", "nlb", ("cross-zone", "off")),
    "nlb_fail_open": ("nlb-fails-open", "nlb", ("fails its health checks",)),
    "nlb_tls": ("nlb-tls-listener-terminates", "nlb", ("TLS listener",)),
    "gwlb_drop": ("gwlb-appliance-drops-packet", "gwlb", ("block a packet",)),
    "gwlb_sticky": ("gwlb-flow-stickiness", "gwlb", ("later packets",)),
    "gwlb_no_fail_open": ("gwlb-no-fail-open", "gwlb", ("unhealthy",)),
    "clb_503": ("clb-503-no-instance-in-service", "clb", ("503",)),
    "clb_sticky": ("clb-awselb-cookie", "clb", ("AWSELB",)),
    "clb_draining": ("clb-connection-draining", "clb", ("connection draining",)),
    "clb_out_of_service": ("clb-healthy-threshold-default", "clb", ("OutOfService",)),
}


@pytest.fixture(scope="module")
def bank():
    data = json.loads(CONTENT.read_text(encoding="utf-8"))
    return {q["key"]: q for q in data["questions"]}


def test_every_trigger_of_a_new_load_balancer_type_is_covered():
    lb_types = {code for code in BY_CODE if code.split("_")[0] in ("nlb", "gwlb", "clb")}
    assert lb_types == set(WRITTEN_FOR)


@pytest.mark.parametrize("code", sorted(WRITTEN_FOR))
def test_the_shipped_question_is_written_for_its_trigger_in_both_languages(bank, code):
    key, topic, words = WRITTEN_FOR[code]
    question = bank[key]
    assert question["status"] == "published"
    assert question["lab_trigger"] == code
    assert topic in question["topics"]
    assert set(BY_CODE[code].topics) & set(question["topics"])
    for word in words:
        assert word.lower() in question["prompt"]["en"].lower(), (key, word)
    texts = [question["prompt"], question["explanation"]]
    texts += [part for c in question["choices"] for part in (c["text"], c["explanation"])]
    assert all(text["en"] and text["ko"] for text in texts)
    # Exactly one question is written for each of these moments.
    assert [k for k, q in bank.items() if q["lab_trigger"] == code] == [key]


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(WRITTEN_FOR))
def test_a_fired_trigger_asks_the_question_written_for_it(code, settings):
    settings.QUIZ_MIN_LAB_SECONDS = 0
    run = make_run()
    asked = lab.push_question(run, run.owner, code, t=5.0)
    assert asked is not None
    assert asked.question.key == WRITTEN_FOR[code][0]
    assert asked.trigger == code
