"""Roles are Django groups, so the admin can grant them without code.

Admins are staff/superusers rather than a group: Django's admin already checks those flags.
"""

from django.contrib.auth.models import Group, User

LEARNER = "learner"
INSTRUCTOR = "instructor"
ROLES = (LEARNER, INSTRUCTOR)


def add_role(user: User, role: str) -> None:
    group, _ = Group.objects.get_or_create(name=role)
    group.user_set.add(user)


def has_role(user: User, role: str) -> bool:
    return user.groups.filter(name=role).exists()
