"""Practice: answer, see at once whether it was right and why, in your language."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from playground.quizzes.models import Answer, QuestionSet
from playground.quizzes.services import practice as service
from playground.quizzes.services.answers import record_answer

from .access import AuthenticatedRequest, get_set_for_user


@login_required
def practice(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    question_set = get_set_for_user(request, slug, QuestionSet.Kind.PRACTICE)
    context = {"question_set": question_set, "answer": None, "errors": []}
    if request.method == "POST":
        question = get_object_or_404(
            service.questions_of(question_set), pk=request.POST.get("question")
        )
        try:
            context["answer"] = record_answer(
                request.user, question, request.POST.getlist("choice"), Answer.Source.PRACTICE
            )
        except ValidationError as error:
            context["errors"] = error.messages
    else:
        after = request.GET.get("after")
        question = service.next_question(
            request.user, question_set, int(after) if after and after.isdigit() else None
        )
    context["question"] = question
    if question is not None:
        context["choices"] = list(question.choices.order_by("position"))
        if context["answer"] is not None:
            chosen = set(context["answer"].choices.values_list("pk", flat=True))
            for choice in context["choices"]:
                choice.chosen = choice.pk in chosen
    status = 400 if context["errors"] else 200
    return render(request, "quizzes/practice.html", context, status=status)
