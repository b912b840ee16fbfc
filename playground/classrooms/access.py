"""Who may see and change which class: every view and consumer fetches through these.

An instructor sees only their own classes (and, through them, their learners' runs,
answers and errors); a learner sees only the classes they joined; staff see every class.
A class that is not theirs is a 404, not a 403: we do not confirm it exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from playground.accounts import roles

from .models import Classroom


def is_instructor(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_staff or roles.has_role(user, roles.INSTRUCTOR))


def classes_taught_by(user: User | AnonymousUser) -> QuerySet[Classroom]:
    """The classes ``user`` may run: their own; every class for staff."""
    if not user.is_authenticated:
        return Classroom.objects.none()
    classes = Classroom.objects.select_related("instructor")
    return classes if user.is_staff else classes.filter(instructor=user)


def get_class_for_instructor(user: User | AnonymousUser, pk: int) -> Classroom:
    classroom = classes_taught_by(user).filter(pk=pk).first()
    if classroom is None:
        raise Http404
    return classroom


def get_class_for_learner(user: User | AnonymousUser, pk: int) -> Classroom:
    """A class ``user`` joined and that is still open."""
    if not user.is_authenticated:
        raise Http404
    classroom = (
        Classroom.objects.filter(pk=pk, memberships__learner=user, archived_at__isnull=True)
        .select_related("instructor")
        .first()
    )
    if classroom is None:
        raise Http404
    return classroom


def supervised_learners(user: User) -> QuerySet[Any]:
    """labs.models.run_watchers: the learners of the classes ``user`` teaches (not archived)."""
    return get_user_model().objects.filter(
        class_memberships__classroom__instructor=user,
        class_memberships__classroom__archived_at__isnull=True,
    )


def get_learner_of_class(classroom: Classroom, learner_id: Any) -> User:
    """One learner of ``classroom``, else 404."""
    try:
        pk = int(learner_id)
    except (TypeError, ValueError):
        raise Http404 from None
    learner = get_user_model().objects.filter(pk=pk, class_memberships__classroom=classroom).first()
    if learner is None:
        raise Http404
    return learner
