"""What quizzes tells the apps that follow a learner, which it never imports.

``answered``: a learner's graded answers changed (an in-lab question answered, an exam
handed in or timed out, a live-quiz pick). Sent once per such action, after commit, with
``user_id``. The classes app refreshes that learner's row on their instructors' dashboards.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import Signal

answered = Signal()


def announce_answered(user_id: int) -> None:
    """Send ``answered`` once the current transaction commits (at once outside one)."""
    # send_robust: a listener that fails must not turn a saved answer into an error page.
    transaction.on_commit(partial(answered.send_robust, sender=None, user_id=user_id))
