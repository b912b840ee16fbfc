"""Every change to a topology's document: validated first, saved with a revision, or not at all.

Views, the ``topology`` command, the admin, ``seed_demo`` and tests all call these; each is
one transaction.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from labs import cfn, intrinsics
from labs.editing import BLANK_TEMPLATE
from labs.models import Topology, TopologyRevision

Change = TopologyRevision.Change


class DocumentError(ValidationError):
    """A document with problems; nothing was saved.

    One message per problem, ``LogicalId.Properties.Path: Code: message``; ``problems``
    keeps them as ``cfn.Problem`` so a page can put each next to its field.
    """

    def __init__(self, problems: list[cfn.Problem]) -> None:
        super().__init__([ValidationError(str(p), code=p.code) for p in problems])
        self.problems = problems


def save_document(
    user: User,
    topology: Topology,
    text: str,
    note: str = "",
    *,
    change: str = Change.TEMPLATE,
    subject: str = "",
) -> TopologyRevision:
    """Validate ``text`` and make it the topology's document, as its next revision.

    Raises:
        DocumentError: the document has problems (all of them); nothing is saved.
        PermissionDenied: ``user`` does not own the topology (starters are read-only).
    """
    _check_can_edit(user, topology)
    check_document(text)
    with transaction.atomic():
        # Locks the row (on databases that can), so two saves cannot take one number.
        Topology.objects.select_for_update().filter(pk=topology.pk).first()
        topology.document = text
        topology.save(update_fields=["document", "updated_at"])
        return _add_revision(user, topology, text, note, change, subject)


def create_topology(
    user: User,
    *,
    slug: str,
    title_en: str,
    title_ko: str = "",
    description_en: str = "",
    description_ko: str = "",
    document: str = "",
    change: str = Change.CREATE,
    forked_from: Topology | None = None,
) -> Topology:
    """A new topology owned by ``user`` (blank when ``document`` is empty), revision 1.

    Raises:
        DocumentError: the document has problems.
        ValidationError: ``user`` already has a topology called ``slug``.
    """
    document = document or BLANK_TEMPLATE
    check_document(document)
    fields = {
        "title_en": title_en,
        "title_ko": title_ko,
        "description_en": description_en,
        "description_ko": description_ko,
    }
    try:
        with transaction.atomic():
            topology = Topology.objects.create(
                owner=user, slug=slug, document=document, forked_from=forked_from, **fields
            )
            subject = forked_from.slug if forked_from else ""
            _add_revision(user, topology, document, "", change, subject)
    except IntegrityError:
        raise ValidationError(
            _("You already have a topology called %(slug)s."),
            code="slug_taken",
            params={"slug": slug},
        ) from None
    return topology


def fork_topology(user: User, topology: Topology) -> Topology:
    """A copy of ``topology`` (a starter, or any the user can see) that ``user`` owns.

    The copy keeps the name when it is free, else gets the first free ``name-2``,
    ``name-3``...; its title says it is a copy ("Basic ALB (copy)", "기본 ALB (사본)") and
    ``forked_from`` where it came from; its history starts at revision 1 with the
    original's current document.
    """
    if not Topology.objects.visible_to(user).filter(pk=topology.pk).exists():
        raise PermissionDenied(_("You cannot fork a topology you cannot see."))
    return create_topology(
        user,
        slug=free_slug(user, topology.slug),
        title_en=_copy_title(topology.title_en, " (copy)"),
        title_ko=_copy_title(topology.title_ko or topology.title_en, " (사본)"),
        description_en=topology.description_en,
        description_ko=topology.description_ko,
        document=topology.document,
        change=Change.FORK,
        forked_from=topology,
    )


def _copy_title(title: str, suffix: str) -> str:
    """``title`` marked as a copy, within the title's 200 characters (a copy of a copy
    says so once)."""
    base = title[: -len(suffix)] if title.endswith(suffix) else title
    limit = Topology._meta.get_field("title_en").max_length or 200
    return base[: limit - len(suffix)] + suffix


def save_topology(
    author: User | None,
    topology: Topology,
    *,
    change: str = Change.TEMPLATE,
    note: str = "",
    subject: str = "",
) -> TopologyRevision | None:
    """Save every field of ``topology`` as set by a curator: the admin's and ``seed_demo``'s path.

    Unlike ``save_document`` it takes any topology, starters included, because the caller
    (a staff user, or the site's own seeding with no ``author``) curates them all. A new
    topology's document is its revision 1 (``Change.CREATE``); a changed one becomes the
    next revision (``change``); an unchanged one adds none, so seeding twice changes nothing.

    Returns:
        The revision added, or None when the document did not change.

    Raises:
        DocumentError: the document has problems; nothing is saved.
    """
    check_document(topology.document)
    with transaction.atomic():
        stored = (
            Topology.objects.select_for_update()
            .filter(pk=topology.pk)
            .values_list("document", flat=True)
            .first()
            if topology.pk
            else None
        )
        topology.save()
        if stored == topology.document:
            return None
        if stored is None:
            change = Change.CREATE
        return _add_revision(author, topology, topology.document, note, change, subject)


def restore_revision(user: User, revision: TopologyRevision, note: str = "") -> TopologyRevision:
    """Make an old revision's document current again, as a new revision (history stays)."""
    return save_document(
        user,
        revision.topology,
        revision.document,
        note,
        change=Change.RESTORE,
        subject=str(revision.number),
    )


def free_slug(user: User, slug: str) -> str:
    taken = set(Topology.objects.filter(owner=user).values_list("slug", flat=True))
    if slug not in taken:
        return slug
    number = 2
    while f"{slug}-{number}"[:80] in taken:
        number += 1
    return f"{slug[: 80 - len(str(number)) - 1]}-{number}"


def _check_can_edit(user: User, topology: Topology) -> None:
    if topology.owner_id is None or topology.owner_id != user.pk:
        raise PermissionDenied(_("Only the topology's owner can change it; fork it instead."))


def check_document(text: str) -> None:
    """Raises DocumentError listing every problem of ``text``; forms call it to show them.

    Parameter values nobody gave yet are no problem of the template (CloudFormation
    validates it without them): it is saved, and its page asks for them before a run.
    """
    try:
        cfn.load_topology(text)
    except cfn.TemplateError as error:
        if not intrinsics.needs_values(error.problems):
            raise DocumentError(list(error.problems)) from error


def set_parameters(user: User, topology: Topology, values: dict[str, str]) -> TopologyRevision:
    """Keep parameter values in the topology's template (``Metadata.Playground.Parameters``)
    as its next revision; every run and export of it uses them.

    Raises:
        DocumentError: a value breaks the template (a pattern, a range); nothing is saved.
    """
    document = cfn.parse_document(topology.document)
    updated = intrinsics.with_values(document, values)
    dump = cfn.dump_json if topology.document.lstrip().startswith("{") else cfn.dump_yaml
    return save_document(
        user, topology, dump(updated), change=Change.TEMPLATE, subject=_("parameters")
    )


def _add_revision(
    user: User | None, topology: Topology, text: str, note: str, change: str, subject: str
) -> TopologyRevision:
    latest = topology.revisions.aggregate(latest=Max("number"))["latest"] or 0
    return TopologyRevision.objects.create(
        topology=topology,
        number=latest + 1,
        document=text,
        author=user,
        change=change,
        subject=subject[:255],
        note=note[:200],
    )
