"""The bounds and run limits hold on every path a document takes: the topology service,
the builder's forms and Template tab, a request too large to read, and both commands.
Each refusal names the problem and saves nothing."""

import pytest
from django.urls import reverse

from labs import services
from labs.cfn import dump_json, dump_yaml
from tests.builder.helpers import editor, form_data
from tests.commands import manage
from tests.document.helpers import EVERY_TYPE, edited, every_type_document
from tests.document.test_invalid_documents import ALIAS_BOMB, ip_targets, many_vpcs, nested

JSON = {"accept": "application/json"}
RPS_LINE = (
    "Template.Metadata.Playground.Traffic.RequestsPerSecond: ValidationError: 10000 is more "
    "than this playground runs; at most 200 requests per second (LAB_MAX_RPS)"
)
TOO_FAST = dump_yaml(edited([("Metadata.Playground.Traffic.RequestsPerSecond", 10_000)]))


@pytest.fixture(autouse=True)
def _run_limits(settings):
    settings.LAB_MAX_RPS = 200
    settings.LAB_MAX_TARGETS = 50


@pytest.fixture
def topology(learner):
    return services.create_topology(learner, slug="every", title_en="Every", document=EVERY_TYPE)


def _json_port(raw):
    """The every-type document as JSON, the HTTP listener's port written as ``raw``."""
    text = dump_json(edited([("Resources.HttpListener.Properties.Port", 12345)]))
    return text.replace('"Port": 12345', f'"Port": {raw}')


HOSTILE = [
    pytest.param(ALIAS_BOMB, "Vpc.Metadata.h: ValidationError: the template holds", id="alias"),
    pytest.param(
        "Description: " + "x" * 1_000_001 + "\nResources: {}\n",
        "Template: ValidationError: the template is 1000029 bytes",
        id="too-big",
    ),
    pytest.param(
        dump_yaml(edited([("Resources.Web1.Metadata.Playground.Notes", nested(40))])),
        "Web1.Metadata.Playground: ValidationError: is nested more than 32 levels deep",
        id="too-deep",
    ),
    pytest.param(
        dump_yaml(edited(many_vpcs(501 - len(every_type_document()["Resources"])))),
        "Template.Resources: ValidationError: Number of resources, 501, is greater",
        id="too-many-resources",
    ),
    pytest.param(TOO_FAST, RPS_LINE, id="rps"),
    pytest.param(
        dump_yaml(edited([("Resources.IpTargets.Properties.Targets", ip_targets(1100))])),
        "IpTargets.Properties.Targets: TooManyTargets: a run may start at most 50 targets "
        "(LAB_MAX_TARGETS)",
        id="targets",
    ),
    pytest.param(
        _json_port("Infinity"),
        "HttpListener.Properties.Port: ValidationError: must be an integer from 1 to 65535",
        id="infinity",
    ),
    pytest.param(
        dump_yaml(edited([("Resources.Web1.Metadata.Playground.App.SetCookie", "a=세션")])),
        "Web1.Metadata.Playground.App.SetCookie: ValidationError: must be Latin-1 text",
        id="set-cookie",
    ),
    pytest.param(
        dump_yaml(edited([("Resources.WebTargets.Properties.Matcher", {"HttpCode": "200-"})])),
        "WebTargets.Properties.Matcher.HttpCode: ValidationError: '200-': ALB success codes",
        id="matcher",
    ),
    pytest.param(
        dump_yaml(edited([("Metadata", "fast")])),
        "Template.Metadata: ValidationError: must be a mapping",
        id="metadata",
    ),
    pytest.param(
        dump_yaml(edited([("Resources.HttpListener.Properties.DefaultActions.0.Type", None)])),
        "HttpListener.Properties.DefaultActions[0].Type: ValidationError: is required",
        id="action-type",
    ),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_the_service_refuses_a_hostile_document_and_saves_nothing(
    learner, topology, text, expected
):
    with pytest.raises(services.DocumentError) as caught:
        services.save_document(learner, topology, text)

    assert any(str(p).startswith(expected) for p in caught.value.problems), caught.value.problems
    topology.refresh_from_db()
    assert topology.document == EVERY_TYPE
    assert topology.revisions.count() == 1


def test_the_builders_traffic_form_names_the_rps_limit_and_saves_nothing(client, learner, topology):
    client.force_login(learner)
    data = form_data(editor("traffic", every_type_document()), requests_per_second="10000")

    response = client.post(reverse("labs-builder-save", args=[topology.pk]), data, headers=JSON)

    assert response.status_code == 400
    assert "at most 200 requests per second (LAB_MAX_RPS)" in response.json()["editor"]
    assert topology.revisions.count() == 1


def test_the_template_tab_names_the_rps_limit_and_saves_nothing(client, learner, topology):
    client.force_login(learner)
    url = reverse("labs-builder-template", args=[topology.pk])

    response = client.post(url, {"document": TOO_FAST}, headers=JSON)

    assert response.status_code == 400
    assert "LAB_MAX_RPS" in response.json()["messages"]
    assert topology.revisions.count() == 1


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "What you sent is too large"), ("ko", "보낸 내용이 너무 큽니다")],
)
def test_a_10_mb_upload_gets_a_413_page_in_the_visitors_language(
    client, learner, topology, language, words
):
    client.force_login(learner)
    url = reverse("labs-builder-template", args=[topology.pk])

    response = client.post(
        url, {"document": "x" * 10_000_000}, headers={"accept-language": language}
    )

    assert response.status_code == 413
    assert words in response.text
    assert f'<html lang="{language}">' in response.text
    assert topology.revisions.count() == 1


def _manage(*args):
    return manage(*args, LAB_MAX_RPS="200")


@pytest.mark.parametrize(
    "command", [("topology", "validate"), ("lab", "run")], ids=["validate", "lab-run"]
)
def test_both_commands_refuse_a_template_over_the_rps_limit(tmp_path, command):
    template = tmp_path / "fast.yaml"
    template.write_text(TOO_FAST, encoding="utf-8")

    result = _manage(*command, str(template))

    assert result.returncode == 2
    assert RPS_LINE in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
