"""The bank that ships with the site: enough questions, every topic, both languages."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from playground.quizzes.bank import export_json
from playground.quizzes.bank.records import Problems, check, from_json
from playground.quizzes.models import Question

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "playground" / "quizzes" / "content" / "questions.json"
HANGUL = re.compile("[가-힣]")


@pytest.fixture(scope="module")
def bank():
    return json.loads(CONTENT.read_text(encoding="utf-8"))


def test_there_are_at_least_60_published_questions(bank):
    published = [q for q in bank["questions"] if q["status"] == "published"]
    assert len(published) >= 60


def test_every_seed_section_has_at_least_four_questions(bank):
    per_topic = Counter(t for q in bank["questions"] for t in q["topics"])
    assert {t["slug"] for t in bank["topics"]} == set(per_topic)
    assert len(per_topic) == 11
    assert min(per_topic.values()) >= 4, per_topic


def test_every_question_passes_the_importers_checks(bank):
    problems = Problems()
    topics = {t["slug"] for t in bank["topics"]}
    for number, item in enumerate(bank["questions"]):
        record = from_json(number, item, problems)
        check(record, topics, problems)
    assert problems == []


def test_every_text_has_natural_korean(bank):
    for q in bank["questions"]:
        whys = [c["explanation"]["ko"] for c in q["choices"]]
        texts = [q["prompt"]["ko"], q["explanation"]["ko"], *whys]
        texts += [c["text"]["ko"] for c in q["choices"]]
        prose = [q["prompt"]["ko"], q["explanation"]["ko"], *whys]
        assert all(texts), q["key"]
        assert all(HANGUL.search(text) for text in prose), q["key"]


def test_the_two_seed_scenarios_are_in_the_bank(bank):
    by_key = {q["key"]: q for q in bank["questions"]}
    redirect = by_key["alb-redirect-http-to-https"]
    right = [c["text"]["en"] for c in redirect["choices"] if c["correct"]]
    assert right == ["Configure the ALB's HTTP listener to redirect requests to HTTPS."]
    static_ips = by_key["nlb-fixed-static-ips"]
    right = [c["text"]["en"] for c in static_ips["choices"] if c["correct"]]
    assert right == ["Network Load Balancer."]


@pytest.mark.django_db
def test_a_fresh_database_holds_exactly_the_shipped_bank():
    """The data migration loaded the file; exporting it gives the file back byte for byte."""
    assert Question.objects.filter(status="published").count() >= 60
    assert export_json() == CONTENT.read_text(encoding="utf-8")
