"""A template with parameters: saved without values (as CloudFormation validates it), its
page asks for them, and the values given are kept for every run."""

from pathlib import Path

from django.urls import reverse

from labs import cfn, intrinsics, services
from tests.factories import make_topology

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NEEDS_A_NAME = (
    (TEMPLATES / "conditions_mappings_sub.yaml")
    .read_text()
    .replace("    Default: orders\n", "    Description: <b>the project</b>, lower case\n", 1)
)


def test_a_template_without_parameter_values_is_saved_and_its_page_asks_for_them(client, learner):
    topology = make_topology(owner=learner)
    services.save_document(learner, topology, NEEDS_A_NAME)
    client.force_login(learner)

    page = client.get(reverse("labs-topology-detail", args=[topology.pk]))

    assert page.status_code == 200
    assert "Parameters: [ProjectName] must have values" in page.text
    assert reverse("labs-run-start", args=[topology.pk]) not in page.text
    assert reverse("labs-topology-parameters", args=[topology.pk]) in page.text
    assert "&lt;b&gt;the project&lt;/b&gt;" in page.text  # the template's words, escaped
    assert "<b>the project</b>" not in page.text


def test_values_given_in_the_form_are_kept_in_the_template_and_runs_use_them(client, learner):
    topology = make_topology(owner=learner)
    services.save_document(learner, topology, NEEDS_A_NAME)
    client.force_login(learner)
    names = [i.name for i in intrinsics.inputs(cfn.parse_document(NEEDS_A_NAME))]
    fields = {f"p{names.index('ProjectName')}": "shop", f"p{names.index('Environment')}": "prod"}

    answer = client.post(reverse("labs-topology-parameters", args=[topology.pk]), fields)

    assert answer.status_code == 302
    topology.refresh_from_db()
    assert cfn.resolve(topology.document).values["ProjectName"] == "shop"
    built = cfn.load_topology(topology.document)
    assert len(built.target_groups[0].targets) == 2  # Environment=prod creates Web2
    page = client.get(reverse("labs-topology-detail", args=[topology.pk]))
    assert reverse("labs-run-start", args=[topology.pk]) in page.text
    assert "Web2" not in [row for row in page.context["resolved"].removed]


def test_a_value_the_declaration_refuses_saves_nothing_and_says_why(client, learner):
    topology = make_topology(owner=learner)
    services.save_document(learner, topology, NEEDS_A_NAME)
    before = topology.document
    client.force_login(learner)
    names = [i.name for i in intrinsics.inputs(cfn.parse_document(NEEDS_A_NAME))]

    answer = client.post(
        reverse("labs-topology-parameters", args=[topology.pk]),
        {f"p{names.index('ProjectName')}": "x"},
    )

    assert answer.status_code == 400
    assert "must contain at least 3 characters" in answer.text
    topology.refresh_from_db()
    assert topology.document == before


def test_only_the_owner_sets_values(client, learner, other_learner):
    topology = make_topology(owner=other_learner)
    services.save_document(other_learner, topology, NEEDS_A_NAME)
    client.force_login(learner)

    answer = client.post(reverse("labs-topology-parameters", args=[topology.pk]), {"p0": "x"})

    assert answer.status_code == 404


def test_stand_ins_and_resources_set_aside_are_shown(client, learner):
    topology = make_topology(owner=learner)
    services.save_document(
        learner, topology, (TEMPLATES / "vpc_parameter_alb_asg.yaml").read_text()
    )
    client.force_login(learner)

    page = client.get(reverse("labs-topology-detail", args=[topology.pk]))

    assert "Not simulated" in page.text
    assert "WebServerRole" in page.text and "AWS::IAM::Role" in page.text
    assert "the playground&#x27;s VPC" in page.text or "the playground's VPC" in page.text
    assert "HighCpuAlarm" in page.text  # its condition IsProduction is false
