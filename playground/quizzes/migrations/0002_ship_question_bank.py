"""Load the question bank that ships with the site (content/questions.json).

Runs once per database, so a fresh `make run` (and every test database) has the
questions, while later edits in the admin are never overwritten by a migrate. Newer
content reaches an existing database with `manage.py quiz import <file>`, which updates
only what differs.
"""

import json
from pathlib import Path

from django.db import migrations

CONTENT = Path(__file__).resolve().parent.parent / "content" / "questions.json"
DIFFICULTIES = {"easy": 1, "medium": 2, "hard": 3}


def _pair(value):
    value = value or {}
    return value.get("en", ""), value.get("ko", "")


def load_bank(apps, schema_editor):
    Topic = apps.get_model("quizzes", "Topic")
    Question = apps.get_model("quizzes", "Question")
    Choice = apps.get_model("quizzes", "Choice")
    QuestionSet = apps.get_model("quizzes", "QuestionSet")
    data = json.loads(CONTENT.read_text(encoding="utf-8"))
    topics = {}
    for item in data["topics"]:
        name_en, name_ko = _pair(item["name"])
        topics[item["slug"]], _ = Topic.objects.get_or_create(
            slug=item["slug"],
            defaults={"name_en": name_en, "name_ko": name_ko,
                      "section": item.get("section", ""), "order": item.get("order", 0)},
        )
    for item in data["questions"]:
        if Question.objects.filter(key=item["key"]).exists():
            continue
        prompt_en, prompt_ko = _pair(item["prompt"])
        explanation_en, explanation_ko = _pair(item["explanation"])
        question = Question.objects.create(
            key=item["key"], status=item["status"], kind=item["kind"], choose=item["choose"],
            difficulty=DIFFICULTIES[item["difficulty"]],
            reference_url=item.get("reference_url", ""), lab_trigger=item.get("lab_trigger", ""),
            prompt_en=prompt_en, prompt_ko=prompt_ko,
            explanation_en=explanation_en, explanation_ko=explanation_ko,
        )
        question.topics.set([topics[slug] for slug in item["topics"]])
        for position, choice in enumerate(item["choices"], start=1):
            text_en, text_ko = _pair(choice["text"])
            why_en, why_ko = _pair(choice["explanation"])
            Choice.objects.create(
                question=question, position=position, text_en=text_en, text_ko=text_ko,
                explanation_en=why_en, explanation_ko=why_ko, is_correct=choice["correct"],
            )
    for item in data.get("sets", []):
        title_en, title_ko = _pair(item["title"])
        description_en, description_ko = _pair(item.get("description"))
        question_set, created = QuestionSet.objects.get_or_create(
            slug=item["slug"],
            defaults={"kind": item["kind"], "title_en": title_en, "title_ko": title_ko,
                      "description_en": description_en, "description_ko": description_ko,
                      "question_count": item["question_count"],
                      "time_limit_minutes": item["time_limit_minutes"],
                      "passing_percent": item["passing_percent"],
                      "topic_weights": item.get("topic_weights", {}),
                      "is_published": item.get("published", False),
                      "order": item.get("order", 0)},
        )
        if created:
            question_set.topics.set([topics[slug] for slug in item.get("topics", [])])


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0001_question_bank")]

    operations = [migrations.RunPython(load_bank, migrations.RunPython.noop)]
