"""Practice: answer, see at once whether it was right and why, in your language."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from playground.quizzes.models import Answer, Question, QuestionSet
from playground.quizzes.services import practice as service
from playground.quizzes.services.answers import record_answer

from .access import AuthenticatedRequest, get_set_for_user


@login_required
def practice(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    question_set = get_set_for_user(request, slug, QuestionSet.Kind.PRACTICE)
    answer: Answer | None = None
    errors: list[str] = []
    question: Question | None
    if request.method == "POST":
        question = get_object_or_404(
            service.questions_of(question_set), pk=request.POST.get("question")
        )
        try:
            answer = record_answer(
                request.user, question, request.POST.getlist("choice"), Answer.Source.PRACTICE
            )
        except ValidationError as error:
            errors = error.messages
    else:
        after = request.GET.get("after")
        question = service.next_question(
            request.user, question_set, int(after) if after and after.isdigit() else None
        )
    context = {
        "question_set": question_set,
        "question": question,
        "answer": answer,
        "errors": errors,
        "choices": list(question.choices.order_by("position")) if question else [],
        "chosen": set(answer.choices.values_list("pk", flat=True)) if answer else set(),
    }
    return render(request, "quizzes/practice.html", context, status=400 if errors else 200)
