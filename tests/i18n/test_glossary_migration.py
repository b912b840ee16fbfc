"""quizzes 0003 brings an existing database's shipped Korean in line with the glossary and
leaves an admin's own wording alone."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from playground.quizzes.models import Choice, Question

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("quizzes", "0002_ship_question_bank")]
AFTER = [("quizzes", "0003_korean_follows_the_glossary")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _ship_the_bank():
    """What 0002 loads into a new database (earlier tests may have flushed it)."""
    Question.objects.all().delete()
    importlib.import_module("playground.quizzes.migrations.0002_ship_question_bank").load_bank(
        apps, None
    )


def test_it_rewrites_the_shipped_korean_and_keeps_an_admins_edit():
    _ship_the_bank()
    _migrate(BEFORE)  # what a database made before this release holds
    prompt = Question.objects.get(key="hc-alb-fails-open").prompt_ko
    assert "unhealthy입니다" in prompt
    edited = Question.objects.get(key="sticky-target-unhealthy")
    edited.prompt_ko = "관리자가 고친 문장입니다."
    edited.save()

    _migrate(AFTER)

    assert "비정상(`unhealthy`)입니다" in Question.objects.get(key="hc-alb-fails-open").prompt_ko
    assert (
        Question.objects.get(key="sticky-target-unhealthy").prompt_ko == "관리자가 고친 문장입니다."
    )
    https = Choice.objects.get(question__key="elb-newer-generation", position=3)
    assert "CLB, ALB and NLB all terminate TLS" in https.explanation_en
    assert https.text_ko == "Classic Load Balancer. HTTPS를 지원하는 것은 이것뿐이기 때문입니다."
