"""The topology admin writes through the topology services: validated, with a revision."""

import pytest
from django.urls import reverse

from labs.models import Topology, TopologyRevision
from tests.builder.test_services import TWO_PROBLEMS
from tests.factories import DEMO_TEMPLATE

pytestmark = pytest.mark.django_db

ADD = reverse("admin:labs_topology_add")
PING = DEMO_TEMPLATE.replace("HealthCheckPath: /health", "HealthCheckPath: /ping")


@pytest.fixture
def staff_client(client, admin):
    client.force_login(admin)
    return client


def _post(client, url, **changes):
    """Post the admin's form as the page renders it, with ``changes`` typed in."""
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): management[k].value() for k in management.fields})
    return client.post(url, {**data, **changes})


def _change_url(topology):
    return reverse("admin:labs_topology_change", args=[topology.pk])


def test_a_new_topology_from_the_admin_starts_its_history(staff_client, admin):
    fields = {"slug": "from-admin", "title_en": "From the admin", "document": DEMO_TEMPLATE}
    response = _post(staff_client, ADD, **fields)
    assert response.status_code == 302, response.context["errors"]
    revision = Topology.objects.get(slug="from-admin").revisions.get()
    assert (revision.number, revision.change, revision.author) == (1, "create", admin)


def test_an_edited_starter_document_becomes_its_next_revision(staff_client, admin, starter):
    response = _post(staff_client, _change_url(starter), document=PING)
    assert response.status_code == 302, response.context["errors"]
    starter.refresh_from_db()
    latest = starter.revisions.get()
    assert starter.document == PING
    assert (latest.change, latest.author, latest.document) == ("template", admin, PING)


def test_an_invalid_document_is_a_form_error_naming_each_problem_and_saves_nothing(
    staff_client, starter
):
    response = _post(staff_client, _change_url(starter), document=TWO_PROBLEMS)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["document"]
    assert any(e.startswith("HttpListener.Properties.Port: ") for e in errors)
    assert any(e.startswith("SubnetB.Properties.CidrBlock: ") for e in errors)
    starter.refresh_from_db()
    assert starter.document == DEMO_TEMPLATE
    assert not TopologyRevision.objects.exists()


def test_editing_only_the_title_adds_no_revision(staff_client, starter):
    response = _post(staff_client, _change_url(starter), title_en="Basic ALB, renamed")
    assert response.status_code == 302, response.context["errors"]
    starter.refresh_from_db()
    assert starter.title_en == "Basic ALB, renamed"
    assert not starter.revisions.exists()


def test_the_admin_cannot_add_a_revision_by_hand(staff_client):
    response = staff_client.get(reverse("admin:labs_topologyrevision_add"))
    assert response.status_code == 403
