"""Practice: one question at a time from a set's topics, feedback straight away."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet

from playground.quizzes.models import Answer, Question, QuestionSet


def questions_of(question_set: QuestionSet) -> QuerySet[Question]:
    published = Question.objects.filter(status=Question.Status.PUBLISHED)
    topics = list(question_set.topics.values_list("pk", flat=True))
    if topics:
        tagged = Question.objects.filter(topics__in=topics).values("pk")
        published = published.filter(pk__in=tagged)  # a subquery: no join, no duplicates
    return published


def next_question(
    user: User, question_set: QuestionSet, after: int | None = None
) -> Question | None:
    """A question the learner has practised least, never the one just answered."""
    mine = Q(answers__user=user, answers__source=Answer.Source.PRACTICE)
    candidates = questions_of(question_set).annotate(seen=Count("answers", filter=mine))
    if after is not None:
        candidates = candidates.exclude(pk=after)
    return candidates.order_by("seen", "?").first()
