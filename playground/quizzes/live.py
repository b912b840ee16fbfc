"""In-lab questions on the run page's socket: triggers in, ``quiz`` events out.

The run page's consumer owns one ``LabQuiz`` per socket and hands it three things: each
batch of run events after it forwards them (``observe``), each incoming frame first
(``receive``), and the moment it connects (``resume``).

Why here, in the consumer, rather than in the worker: the consumer already receives every
batch the worker publishes to ``run.<id>`` for exactly one viewer, knows who that viewer
is and which language they read, and answers come back on the same socket. The worker's
per-request path stays free of database work and of anything about viewers; the rules
themselves are pure (``triggers.py``), and the database is touched only when one fires.

Frames:
    out ``{"events": [{"type": "quiz", ...}]}`` — DESIGN.md's ``quiz`` event (``quiz_event``)
    in  ``{"action": "quiz.answer", "question": <id>, "choices": [<choice id>, ...]}``
    out ``{"quiz_result": {...}}`` (``result_frame``) or the consumer's error frame.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation

from labs.engine.events import Quiz
from labs.language import viewer_language
from labs.models import LabRun
from labs.orm import in_db_thread

from . import text
from .models import Choice, LabQuestion
from .services import lab
from .triggers import BY_CODE, Watch

Send = Callable[[dict[str, Any]], Awaitable[None]]
ANSWER = "quiz.answer"


class LabQuiz:
    """One viewer's in-lab questions for one run. Only the run's owner is asked."""

    def __init__(self, run: LabRun, user: Any, language: str, enabled: bool) -> None:
        self.run, self.user, self.language, self.enabled = run, user, language, enabled
        self.watch = Watch()
        self.last_t: float | None = None

    @classmethod
    async def open(cls, scope: dict[str, Any], run: LabRun) -> LabQuiz:
        user = scope["user"]
        quiz = cls(run, user, viewer_language(scope), enabled=run.owner_id == user.pk)
        if quiz.enabled:
            fired, quiz.last_t = await in_db_thread(lab.state_for)(run, user)
            quiz.watch.fired |= fired
        return quiz

    async def resume(self, send: Send) -> None:
        """After a reload, the question still waiting for an answer comes back."""
        if not self.enabled:
            return
        asked = await in_db_thread(lab.pending_question)(self.run, self.user)
        if asked is not None:
            await send({"events": [await self._event(asked)]})

    async def observe(self, events: list[dict[str, Any]], send: Send) -> None:
        if not self.enabled:
            return
        self.watch.scan(events)
        times = [e["t"] for e in events if isinstance(e.get("t"), int | float)]
        if not self.watch.pending or not times:
            return
        now = max(times)
        if self.last_t is not None and now - self.last_t < lab.min_lab_seconds():
            return  # cheap check first: the database only hears about a likely push
        while self.watch.pending:
            trigger = self.watch.pending.pop(0)
            asked = await in_db_thread(lab.push_question)(self.run, self.user, trigger, now)
            if asked is not None:
                self.last_t = asked.t
                await send({"events": [await self._event(asked)]})
                return

    async def receive(self, content: Any, send: Send) -> bool:
        """Handle a quiz frame; False when the frame is not ours."""
        if not isinstance(content, dict) or content.get("action") != ANSWER:
            return False
        try:
            asked = await in_db_thread(lab.answer_question)(
                self.run, self.user, content.get("question"), content.get("choices")
            )
        except ValidationError as error:
            await send({"error": "ValidationError", "message": " ".join(error.messages)})
            return True
        await send({"quiz_result": await self._result(asked)})
        return True

    @in_db_thread
    def _event(self, asked: LabQuestion) -> dict[str, Any]:
        with translation.override(self.language):
            return quiz_event(asked)

    @in_db_thread
    def _result(self, asked: LabQuestion) -> dict[str, Any]:
        with translation.override(self.language):
            return result_frame(asked)


def quiz_event(asked: LabQuestion) -> dict[str, Any]:
    """DESIGN.md's ``quiz`` event, in the active language."""
    question = asked.question
    return Quiz(
        t=asked.t,
        emitted=time.time(),
        question=question.pk,
        trigger=asked.trigger,
        trigger_text=str(BY_CODE[asked.trigger].label),
        prompt=question.prompt,
        prompt_html=text.markdown(question.prompt),
        choose=question.choose,
        multiple=question.is_multiple,
        choices=[
            {"id": c.pk, "letter": c.letter, "text": c.text, "html": text.markdown_inline(c.text)}
            for c in question.choices.order_by("position")
        ],
    ).wire()


def result_frame(asked: LabQuestion) -> dict[str, Any]:
    question = asked.question
    answer = asked.answer
    chosen = set(answer.choices.values_list("pk", flat=True)) if answer else set()
    return {
        "question": question.pk,
        "correct": bool(answer and answer.is_correct),
        "chosen": sorted(chosen),
        "explanation": question.explanation,
        "explanation_html": text.markdown(question.explanation),
        "reference_url": question.reference_url,
        "choices": [_choice_result(c) for c in question.choices.order_by("position")],
    }


def _choice_result(choice: Choice) -> dict[str, Any]:
    why = text.choice_why(choice.explanation, choice.is_correct)
    return {
        "id": choice.pk,
        "correct": choice.is_correct,
        "explanation": why,
        "explanation_html": text.markdown_inline(why),
    }
