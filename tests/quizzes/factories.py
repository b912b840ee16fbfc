"""Keyword-override factories for the quiz tables: each makes a valid, published row."""

from itertools import count

from playground.quizzes.models import Choice, Question, QuestionSet, Topic

_numbers = count(1)


def make_topic(slug: str = "health-checks", **fields) -> Topic:
    defaults = {"name_en": slug.replace("-", " ").title(), "name_ko": f"주제 {slug}"}
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={**defaults, **fields})
    return topic


def make_question(*, topics=("health-checks",), correct=(1,), choices=4, **fields) -> Question:
    """A published question; ``correct`` lists the positions of its right choices."""
    number = next(_numbers)
    defaults = {
        "key": f"question-{number}",
        "prompt_en": f"Question {number}: which one?",
        "prompt_ko": f"{number}번 문제: 어느 것입니까?",
        "explanation_en": f"Because of reason {number}.",
        "explanation_ko": f"{number}번 이유 때문입니다.",
        "status": Question.Status.PUBLISHED,
        "kind": Question.Kind.MULTIPLE if len(correct) > 1 else Question.Kind.SINGLE,
        "choose": len(correct),
    }
    question = Question.objects.create(**{**defaults, **fields})
    question.topics.set([make_topic(slug) for slug in topics])
    for position in range(1, choices + 1):
        Choice.objects.create(
            question=question,
            position=position,
            text_en=f"Choice {position}",
            text_ko=f"보기 {position}",
            explanation_en=f"Why {position}.",
            explanation_ko=f"{position}번 설명.",
            is_correct=position in correct,
        )
    return question


def make_exam(**fields) -> QuestionSet:
    number = next(_numbers)
    defaults = {
        "slug": f"exam-{number}",
        "kind": QuestionSet.Kind.EXAM,
        "title_en": f"Exam {number}",
        "title_ko": f"시험 {number}",
        "question_count": 5,
        "time_limit_minutes": 10,
        "passing_percent": 60,
        "is_published": True,
    }
    return QuestionSet.objects.create(**{**defaults, **fields})


def make_practice_set(topics=("health-checks",), **fields) -> QuestionSet:
    number = next(_numbers)
    defaults = {
        "slug": f"practice-{number}",
        "kind": QuestionSet.Kind.PRACTICE,
        "title_en": f"Practice {number}",
        "title_ko": f"연습 {number}",
        "is_published": True,
    }
    question_set = QuestionSet.objects.create(**{**defaults, **fields})
    question_set.topics.set([make_topic(slug) for slug in topics])
    return question_set


def correct_ids(question: Question) -> list[int]:
    return list(question.choices.filter(is_correct=True).values_list("pk", flat=True))


def wrong_ids(question: Question) -> list[int]:
    return list(question.choices.filter(is_correct=False).values_list("pk", flat=True))
