import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from labs import cfn, editing, services
from labs.models import Topology, TopologyRevision
from tests.builder.helpers import demo_document
from tests.factories import DEMO_TEMPLATE, make_topology

LISTENER_PORT = "Port: 80\n      DefaultActions"
TWO_PROBLEMS = DEMO_TEMPLATE.replace(LISTENER_PORT, "Port: 0\n      DefaultActions")
TWO_PROBLEMS = TWO_PROBLEMS.replace("CidrBlock: 10.0.2.0/24", "CidrBlock: 10.0.1.0/24")


def test_a_valid_save_becomes_the_document_and_the_next_revision(learner, own_topology):
    text = DEMO_TEMPLATE.replace("HealthCheckPath: /health", "HealthCheckPath: /ping")
    revision = services.save_document(learner, own_topology, text, "ping instead")
    own_topology.refresh_from_db()
    assert own_topology.document == text
    assert (revision.number, revision.note, revision.author) == (2, "ping instead", learner)
    assert revision.change == "template"


def test_an_invalid_save_saves_nothing_and_names_every_problem(learner, own_topology):
    with pytest.raises(services.DocumentError) as raised:
        services.save_document(learner, own_topology, TWO_PROBLEMS)
    own_topology.refresh_from_db()
    assert own_topology.document == DEMO_TEMPLATE
    assert own_topology.revisions.count() == 1
    with pytest.raises(cfn.TemplateError) as validated:
        cfn.load_topology(TWO_PROBLEMS)
    lines = raised.value.messages
    assert lines == [str(problem) for problem in validated.value.problems]
    assert any(line.startswith("HttpListener.Properties.Port: ") for line in lines)
    assert any(line.startswith("SubnetB.Properties.CidrBlock: ") for line in lines)


def test_revisions_are_numbered_one_by_one(learner, own_topology):
    for path in ("/a", "/b", "/c"):
        services.save_document(learner, own_topology, DEMO_TEMPLATE.replace("/health", path))
    numbers = list(own_topology.revisions.values_list("number", flat=True))
    assert numbers == [4, 3, 2, 1]


def test_restoring_makes_an_old_document_current_as_a_new_revision(learner, own_topology):
    services.save_document(learner, own_topology, DEMO_TEMPLATE.replace("/health", "/ping"))
    first = own_topology.revisions.get(number=1)
    restored = services.restore_revision(learner, first)
    own_topology.refresh_from_db()
    assert own_topology.document == DEMO_TEMPLATE
    assert (restored.number, restored.change, restored.subject) == (3, "restore", "1")
    assert own_topology.revisions.count() == 3


def test_a_starter_is_read_only(learner, starter):
    with pytest.raises(PermissionDenied):
        services.save_document(learner, starter, DEMO_TEMPLATE)
    assert not TopologyRevision.objects.exists()


def test_another_learners_topology_is_read_only(other_learner, own_topology):
    with pytest.raises(PermissionDenied):
        services.save_document(other_learner, own_topology, DEMO_TEMPLATE)


def test_a_fork_of_a_starter_belongs_to_the_learner(learner, starter):
    fork = services.fork_topology(learner, starter)
    assert (fork.owner, fork.slug, fork.forked_from) == (learner, "basic-alb", starter)
    assert (fork.title_en, fork.title_ko, fork.document) == (
        "Basic ALB (copy)",
        "기본 ALB (사본)",
        starter.document,
    )
    revision = fork.revisions.get()
    assert (revision.number, revision.change, revision.subject) == (1, "fork", "basic-alb")
    assert Topology.objects.get(pk=starter.pk).owner is None


def test_a_fork_of_a_fork_is_marked_a_copy_once(learner, starter):
    copy_ = services.fork_topology(learner, services.fork_topology(learner, starter))
    assert (copy_.title_en, copy_.title_ko) == ("Basic ALB (copy)", "기본 ALB (사본)")


def test_forking_twice_takes_the_next_free_name(learner, starter):
    services.fork_topology(learner, starter)
    second = services.fork_topology(learner, starter)
    third = services.fork_topology(learner, starter)
    assert (second.slug, third.slug) == ("basic-alb-2", "basic-alb-3")


def test_a_learner_forks_their_own_topology(learner, own_topology):
    assert services.fork_topology(learner, own_topology).slug == "mine-2"


def test_nobody_forks_what_they_cannot_see(other_learner, own_topology):
    with pytest.raises(PermissionDenied):
        services.fork_topology(other_learner, own_topology)


def test_a_new_topology_starts_blank_and_valid(learner):
    topology = services.create_topology(learner, slug="blank", title_en="Blank")
    assert topology.document == editing.BLANK_TEMPLATE
    cfn.load_topology(topology.document)
    assert topology.revisions.get().change == "create"


def test_a_taken_name_is_refused(learner, own_topology):
    with pytest.raises(ValidationError) as raised:
        services.create_topology(learner, slug="mine", title_en="Again")
    assert raised.value.code == "slug_taken"
    assert Topology.objects.filter(owner=learner).count() == 1


def test_an_invalid_new_topology_is_not_created(learner):
    with pytest.raises(services.DocumentError):
        services.create_topology(learner, slug="bad", title_en="Bad", document=TWO_PROBLEMS)
    assert not Topology.objects.filter(owner=learner).exists()


def test_someone_elses_name_is_free(learner, other_learner):
    make_topology(owner=other_learner, slug="shared")
    assert services.create_topology(learner, slug="shared", title_en="Shared").slug == "shared"


def test_the_demo_document_parses_for_the_helpers(db):
    assert "HttpListener" in demo_document()["Resources"]
