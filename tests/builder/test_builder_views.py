from django.urls import reverse

from labs.models import TopologyRevision
from tests.builder.helpers import demo_document, editor, form_data, rule_data
from tests.factories import DEMO_TEMPLATE

JSON = {"accept": "application/json"}


def _builder(topology):
    return reverse("labs-topology-builder", args=[topology.pk])


def _save(topology):
    return reverse("labs-builder-save", args=[topology.pk])


def test_the_owner_sees_the_diagram_the_list_and_a_form(client, learner, own_topology):
    client.force_login(learner)
    response = client.get(_builder(own_topology) + "?edit=HttpListener")
    assert response.status_code == 200
    assert '<svg class="diagram"' in response.text
    assert 'data-edit="WebTargets"' in response.text
    assert 'name="original_id" value="HttpListener"' in response.text
    assert reverse("labs-builder-template", args=[own_topology.pk]) in response.text
    assert "labs/js/builder.js" in response.text


def test_another_learners_topology_is_not_found(client, other_learner, own_topology):
    client.force_login(other_learner)
    assert client.get(_builder(own_topology)).status_code == 404
    data = rule_data(demo_document(), "R", 10, "/x", "WebTargets")
    assert client.post(_save(own_topology), data).status_code == 404
    assert own_topology.revisions.count() == 1


def test_anonymous_visitor_is_sent_to_log_in(client, own_topology):
    response = client.get(_builder(own_topology))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_a_starter_is_read_only_and_offers_a_fork(client, learner, starter):
    client.force_login(learner)
    response = client.get(_builder(starter) + "?edit=HttpListener")
    assert response.status_code == 200
    assert reverse("labs-topology-fork", args=[starter.pk]) in response.text
    assert 'name="original_id"' not in response.text
    assert "data-edit=" not in response.text
    data = rule_data(demo_document(), "R", 10, "/x", "WebTargets")
    assert client.post(_save(starter), data).status_code == 404
    assert not TopologyRevision.objects.filter(topology=starter).exists()


def test_adding_a_rule_answers_with_the_new_diagram_and_template(client, learner, own_topology):
    client.force_login(learner)
    data = rule_data(demo_document(), "UsersRule", 10, "/users", "WebTargets")
    response = client.post(_save(own_topology), data, headers=JSON)
    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] and answer["revision"] == 2
    assert 'data-resource="UsersRule"' in answer["diagram"]
    assert "UsersRule" in answer["template"]
    assert 'name="original_id" value="UsersRule"' in answer["editor"]
    assert "Saved UsersRule as revision 2." in answer["messages"]
    revision = own_topology.revisions.first()
    assert (revision.change, revision.subject) == ("add", "UsersRule")


def test_without_the_script_a_save_redirects_to_the_saved_form(client, learner, own_topology):
    client.force_login(learner)
    data = rule_data(demo_document(), "UsersRule", 10, "/users", "WebTargets")
    response = client.post(_save(own_topology), data)
    assert response.status_code == 302
    assert response["Location"] == _builder(own_topology) + "?edit=UsersRule"


def test_a_problem_saves_nothing_and_shows_next_to_its_field(client, learner, own_topology):
    client.force_login(learner)
    client.post(_save(own_topology), rule_data(demo_document(), "A", 10, "/a", "WebTargets"))
    own_topology.refresh_from_db()
    before = own_topology.document
    data = rule_data(demo_document(), "B", 10, "/b", "WebTargets")
    response = client.post(_save(own_topology), data, headers=JSON)
    assert response.status_code == 400
    answer = response.json()
    assert not answer["ok"]
    assert "(B.Properties.Priority, PriorityInUse)" in answer["editor"]
    assert "Nothing was saved" in answer["messages"]
    own_topology.refresh_from_db()
    assert own_topology.document == before
    assert own_topology.revisions.count() == 2


def test_deleting_a_resource_others_use_is_refused_with_the_reasons(client, learner, own_topology):
    client.force_login(learner)
    url = reverse("labs-builder-delete", args=[own_topology.pk])
    response = client.post(url, {"logical_id": "WebTargets"}, headers=JSON)
    assert response.status_code == 400
    assert (
        'data-where="HttpListener.Properties.DefaultActions[0].TargetGroupArn"'
        in response.json()["messages"]
    )
    response = client.post(url, {"logical_id": "Web2"}, headers=JSON)
    assert response.status_code == 400  # WebTargets still names Web2
    own_topology.refresh_from_db()
    assert own_topology.document == DEMO_TEMPLATE


def test_the_template_tab_saves_the_text_as_written(client, learner, own_topology):
    client.force_login(learner)
    text = "# my comment\n" + DEMO_TEMPLATE.replace("/health", "/ping")
    url = reverse("labs-builder-template", args=[own_topology.pk])
    response = client.post(url, {"document": text, "note": "ping"}, headers=JSON)
    assert response.status_code == 200
    assert "/ping" in response.json()["diagram"]
    own_topology.refresh_from_db()
    assert own_topology.document == text
    assert own_topology.revisions.first().note == "ping"


def test_a_broken_template_lists_every_problem_with_its_place(client, learner, own_topology):
    client.force_login(learner)
    text = DEMO_TEMPLATE.replace("Port: 80\n      DefaultActions", "Port: 0\n      DefaultActions")
    url = reverse("labs-builder-template", args=[own_topology.pk])
    response = client.post(url, {"document": text}, headers=JSON)
    assert response.status_code == 400
    assert 'data-where="HttpListener.Properties.Port"' in response.json()["messages"]
    response = client.post(url, {"document": text})  # without the script: the whole page
    assert response.status_code == 400
    assert "HttpListener.Properties.Port" in response.text
    assert own_topology.revisions.count() == 1


def test_the_editor_fragment_is_only_the_form(client, learner, own_topology):
    client.force_login(learner)
    response = client.get(_builder(own_topology) + "?form=target-group&fragment=editor")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'name="kind" value="target-group"' in response.text


def test_the_traffic_form_sets_the_paths_the_run_sends(client, learner, own_topology):
    client.force_login(learner)
    data = form_data(editor("traffic", demo_document()), paths="/users\n/posts")
    assert client.post(_save(own_topology), data, headers=JSON).status_code == 200
    own_topology.refresh_from_db()
    assert (
        "Paths:\n      - /users\n      - /posts" in own_topology.document
        or "- /users" in own_topology.document
    )


def test_the_builder_speaks_korean(client, learner, own_topology):
    client.force_login(learner)
    korean = {"accept-language": "ko"}
    response = client.get(_builder(own_topology) + "?form=listener-rule", headers=korean)
    assert '<html lang="ko">' in response.text
    for text in ("다이어그램", "템플릿", "리스너 규칙 추가", "가용 영역 us-east-1a"):
        assert text in response.text
    client.post(_save(own_topology), rule_data(demo_document(), "A", 10, "/a", "WebTargets"))
    data = rule_data(demo_document(), "B", 10, "/b", "WebTargets")
    answer = client.post(_save(own_topology), data, headers={**JSON, **korean}).json()
    assert "이 리스너의 다른 규칙이 이미 이 우선순위를 쓰고 있습니다." in answer["editor"]
    assert "B.Properties.Priority" in answer["editor"]
    assert "저장하지 않았습니다" in answer["messages"]


def test_topology_pages_link_to_the_builder_and_fork(client, learner, starter, own_topology):
    client.force_login(learner)
    detail = client.get(reverse("labs-topology-detail", args=[own_topology.pk])).text
    assert _builder(own_topology) in detail
    listing = client.get(reverse("labs-topology-list")).text
    assert reverse("labs-topology-new") in listing


def test_a_syntax_error_is_shown_beside_the_text_at_its_line(client, learner, own_topology):
    client.force_login(learner)
    text = DEMO_TEMPLATE.replace(
        "Port: 80\n      DefaultActions", "Port: [80\n      DefaultActions"
    )
    url = reverse("labs-builder-template", args=[own_topology.pk])
    messages = client.post(url, {"document": text}, headers=JSON).json()["messages"]
    assert 'data-line="' in messages and "problem-goto" in messages
    response = client.post(url, {"document": text})  # without the script: the whole page
    assert response.status_code == 400
    page = response.text
    # The problem sits in the Template tab, just above the text, and names the line.
    assert (
        page.index('id="template-messages"')
        < page.index("data-line=")
        < page.index('id="id_document"')
    )
    assert 'data-code-editor data-error-line="' in page
    assert own_topology.revisions.count() == 1


def test_a_problem_reads_in_korean_first_with_the_aws_code_after(client, learner, own_topology):
    client.force_login(learner)
    client.cookies["django_language"] = "ko"
    text = DEMO_TEMPLATE.replace("Port: 80\n      DefaultActions", "Port: 0\n      DefaultActions")
    url = reverse("labs-builder-template", args=[own_topology.pk])
    messages = client.post(url, {"document": text}, headers=JSON).json()["messages"]
    sentence = messages.split('class="problem-sentence">')[1].split("</span>")[0]
    assert sentence == "이 숫자는 허용 범위를 벗어났습니다."
    assert messages.index(sentence) < messages.index("ValidationError")
    assert 'class="problem-detail" lang="en"' in messages
