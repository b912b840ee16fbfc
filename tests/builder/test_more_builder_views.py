"""The builder's pages for the newer forms: each opens in both languages, saves through
the service (or saves nothing), and a delete takes its companions along or is refused."""

import pytest
from django.urls import reverse

from labs import cfn, editing
from tests.builder.helpers import demo_document, editor, form_data

JSON = {"accept": "application/json"}
KOREAN = {"accept-language": "ko"}
NEW_KINDS = ["lambda-function", "certificate", "classic-load-balancer", "auto-scaling-group"]


def _save_url(topology):
    return reverse("labs-builder-save", args=[topology.pk])


def _delete_url(topology):
    return reverse("labs-builder-delete", args=[topology.pk])


def _post(client, topology, kind, original_id=None, headers=None, **changes):
    document = cfn.parse_document(topology.document)
    data = form_data(editor(kind, document, original_id), **changes)
    return client.post(_save_url(topology), data, headers={**JSON, **(headers or {})})


def _document(topology):
    topology.refresh_from_db()
    return cfn.parse_document(topology.document)


@pytest.mark.parametrize("kind", [*NEW_KINDS, "load-balancer", "listener", "target-group"])
@pytest.mark.parametrize(("language", "words"), [("en", "Logical ID"), ("ko", "논리적 ID")])
def test_every_form_opens_in_both_languages(client, learner, own_topology, kind, language, words):
    client.force_login(learner)
    url = reverse("labs-topology-builder", args=[own_topology.pk])
    response = client.get(f"{url}?form={kind}", headers={"accept-language": language})
    assert response.status_code == 200
    assert f'name="kind" value="{kind}"' in response.text
    assert words in response.text


def test_the_new_forms_speak_korean(client, learner, own_topology):
    client.force_login(learner)
    url = reverse("labs-topology-builder", args=[own_topology.pk])
    expected = {
        "lambda-function": ["Lambda 함수 추가", "기본 제공 핸들러"],
        "certificate": ["인증서 추가", "도메인 이름"],
        "classic-load-balancer": ["Classic Load Balancer 추가", "인스턴스 포트"],
        "auto-scaling-group": ["Auto Scaling 그룹 추가", "원하는 용량"],
        "load-balancer": ["각 노드에 탄력적 IP 부여"],
        "listener": ["보안 정책"],
    }
    for kind, texts in expected.items():
        page = client.get(f"{url}?form={kind}", headers=KOREAN).text
        for text in texts:
            assert text in page, (kind, text)


def test_adding_a_function_adds_its_permission_in_one_revision(client, learner, own_topology):
    client.force_login(learner)
    response = _post(client, own_topology, "lambda-function", logical_id="Echo")
    assert response.status_code == 200, response.json()["messages"]
    answer = response.json()
    assert answer["revision"] == 2
    assert 'data-edit="Echo"' in answer["outline"]
    document = _document(own_topology)
    assert {"Echo", "EchoPermission"} <= set(document["Resources"])
    revision = own_topology.revisions.first()
    assert (revision.change, revision.subject) == ("add", "Echo")


def test_deleting_a_function_takes_its_permission(client, learner, own_topology):
    client.force_login(learner)
    _post(client, own_topology, "lambda-function", logical_id="Echo")
    response = client.post(_delete_url(own_topology), {"logical_id": "Echo"}, headers=JSON)
    assert response.status_code == 200
    assert {"Echo", "EchoPermission"}.isdisjoint(_document(own_topology)["Resources"])


def test_deleting_a_used_certificate_is_refused_naming_the_listener(client, learner, own_topology):
    client.force_login(learner)
    _post(client, own_topology, "certificate", logical_id="Cert")
    response = _post(
        client,
        own_topology,
        "listener",
        logical_id="Https",
        load_balancer="LoadBalancer",
        protocol="HTTPS",
        port="443",
        certificate="Cert",
        **{"forward-0-target_group": "WebTargets"},
    )
    assert response.status_code == 200, response.json()["messages"]
    before = own_topology.revisions.count()
    response = client.post(_delete_url(own_topology), {"logical_id": "Cert"}, headers=JSON)
    assert response.status_code == 400
    assert (
        'data-where="Https.Properties.Certificates[0].CertificateArn"'
        in response.json()["messages"]
    )
    assert "Cert" in _document(own_topology)["Resources"]
    assert own_topology.revisions.count() == before


def test_deleting_an_instance_a_classic_lb_registers_is_refused(client, learner, own_topology):
    client.force_login(learner)
    response = _post(
        client,
        own_topology,
        "classic-load-balancer",
        logical_id="Clb",
        subnets=["SubnetA", "SubnetB"],
        instances=["Web3"],
        **{"listeners-0-port": "80", "listeners-0-instance_port": "80"},
    )
    assert response.status_code == 200, response.json()["messages"]
    assert 'data-resource="Clb"' in response.json()["diagram"]
    response = client.post(_delete_url(own_topology), {"logical_id": "Web3"}, headers=JSON)
    assert response.status_code == 400
    assert 'data-where="Clb.Properties.Instances[0]"' in response.json()["messages"]


def test_an_invalid_form_saves_nothing_and_says_why_next_to_the_field(
    client, learner, own_topology
):
    client.force_login(learner)
    before = own_topology.document
    response = _post(
        client,
        own_topology,
        "auto-scaling-group",
        logical_id="Fleet",
        min_size="1",
        max_size="2",
        desired_capacity="5",
        subnets=["SubnetA"],
    )
    assert response.status_code == 400
    assert (
        "The desired capacity is between the minimum (1) and the maximum (2)."
        in response.json()["editor"]
    )
    response = _post(
        client,
        own_topology,
        "auto-scaling-group",
        headers=KOREAN,
        logical_id="Fleet",
        min_size="1",
        max_size="2",
        desired_capacity="5",
        subnets=["SubnetA"],
    )
    assert "원하는 용량은 최솟값(1)과 최댓값(2) 사이여야 합니다." in response.json()["editor"]
    own_topology.refresh_from_db()
    assert own_topology.document == before
    assert own_topology.revisions.count() == 1


def test_a_problem_only_validation_finds_saves_nothing(client, learner, own_topology):
    client.force_login(learner)
    # An NLB in one subnet is fine; an ALB in one is not (validation's rule, not the form's).
    response = _post(client, own_topology, "load-balancer", "LoadBalancer", subnets=["SubnetA"])
    assert response.status_code == 400
    assert "(LoadBalancer.Properties.Subnets, ValidationError)" in response.json()["editor"]
    assert own_topology.revisions.count() == 1
    document = _document(own_topology)
    assert document == demo_document()


def test_an_nlb_with_elastic_ips_draws_them_and_deletes_them(client, learner, own_topology):
    client.force_login(learner)
    response = _post(
        client,
        own_topology,
        "load-balancer",
        logical_id="Nlb",
        lb_type="network",
        subnets=["SubnetA", "SubnetB"],
        elastic_ips="on",
    )
    assert response.status_code == 200, response.json()["messages"]
    assert "Elastic IP NlbSubnetAEip" in response.json()["diagram"]
    assert len(editing.of_type(_document(own_topology), editing.EIP)) == 2
    response = client.post(_delete_url(own_topology), {"logical_id": "Nlb"}, headers=JSON)
    assert response.status_code == 200
    assert not editing.of_type(_document(own_topology), editing.EIP)
