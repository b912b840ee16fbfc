"""The classes' write path: each service checks who asks and what is asked."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from labs.models import LabRun
from playground.classrooms import services
from playground.classrooms.dashboard import Facts, learner_row, stuck_reasons
from playground.classrooms.models import Membership, ValidationErrorRecord
from tests.factories import make_run, make_topology, make_user

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def test_a_learner_joins_with_the_code_in_any_case_and_spacing(classroom, other_learner):
    services.join_classroom(
        other_learner, f" {classroom.join_code.lower()[:4]}-{classroom.join_code[4:]} "
    )
    assert Membership.objects.filter(classroom=classroom, learner=other_learner).exists()


def test_joining_twice_keeps_one_membership(classroom, learner):
    services.join_classroom(learner, classroom.join_code)
    assert Membership.objects.filter(classroom=classroom, learner=learner).count() == 1


@pytest.mark.parametrize("code", ["", "NOPE1234"])
def test_a_wrong_code_says_so(code, other_learner, classroom):
    with pytest.raises(ValidationError, match="join code"):
        services.join_classroom(other_learner, code)


def test_an_archived_class_takes_no_one(classroom, instructor, other_learner):
    services.archive_classroom(classroom, instructor)
    with pytest.raises(ValidationError, match="archived"):
        services.join_classroom(other_learner, classroom.join_code)


def test_the_join_link_joins_after_one_click(client, classroom, other_learner):
    client.force_login(other_learner)
    url = reverse("classrooms-join-code", args=[classroom.join_code])
    assert classroom.join_code in client.get(url).content.decode()
    assert not Membership.objects.filter(learner=other_learner).exists()  # a GET only asks
    response = client.post(reverse("classrooms-join"), {"code": classroom.join_code})
    assert response["Location"] == reverse("classrooms-mine", args=[classroom.pk])


def test_a_bad_join_code_on_the_form_is_named_not_a_traceback(client, other_learner):
    client.force_login(other_learner)
    response = client.post(reverse("classrooms-join"), {"code": "ZZZZZZZZ"})
    assert response.status_code == 400
    assert "No class has this join code" in response.content.decode()


def test_a_blank_class_name_is_refused(instructor):
    with pytest.raises(ValidationError, match="name"):
        services.create_classroom(instructor, "   ")


def test_another_instructor_cannot_hint_or_assign(classroom, other_instructor, learner):
    with pytest.raises(PermissionDenied):
        services.send_hint(classroom, other_instructor, learner, "psst")
    with pytest.raises(PermissionDenied):
        services.assign(classroom, other_instructor, due_at=NOW, topology=make_topology())


def test_a_hint_goes_only_to_a_learner_of_the_class(classroom, instructor, other_learner):
    with pytest.raises(PermissionDenied):
        services.send_hint(classroom, instructor, other_learner, "psst")


def test_an_assignment_is_a_starter_lab_or_a_quiz_set(classroom, instructor, learner):
    with pytest.raises(ValidationError, match="one of them"):
        services.assign(classroom, instructor, due_at=NOW)
    own = make_topology(owner=learner)
    with pytest.raises(ValidationError, match="starter"):
        services.assign(classroom, instructor, due_at=NOW, topology=own)
    starter = make_topology()
    assignment = services.assign(classroom, instructor, due_at=NOW, topology=starter)
    assert assignment.topology == starter


def test_the_assignment_form_names_a_missing_due_date(client, classroom, instructor):
    client.force_login(instructor)
    response = client.post(
        reverse("classrooms-assign", args=[classroom.pk]),
        {"topology": make_topology().pk},
        follow=True,
    )
    assert "This field is required." in response.content.decode()
    assert not classroom.assignments.exists()


def test_a_fault_needs_a_running_run(classroom, instructor, learner):
    make_run(owner=learner, state="finished")
    with pytest.raises(ValidationError, match="run going"):
        services.inject_fault(classroom, instructor, "hang")


@pytest.mark.django_db(transaction=True)
def test_a_fault_goes_to_each_running_run_of_the_class_only(
    classroom, instructor, learner, other_classroom, other_learner
):
    layer = get_channel_layer()
    mine, theirs = (async_to_sync(layer.new_channel)() for _ in range(2))
    make_run(owner=learner, state="running", control_channel=mine)
    make_run(owner=other_learner, state="running", control_channel=theirs)

    assert services.inject_fault(classroom, instructor, "hang") == 1

    assert async_to_sync(layer.receive)(mine) == {
        "type": "run.control",
        "command": {"action": "fault", "target": "10.0.1.10:80", "mode": "hang"},
        "by": "instructor",
    }
    async_to_sync(layer.send)(theirs, {"type": "marker"})
    assert async_to_sync(layer.receive)(theirs) == {"type": "marker"}  # nothing came before


def test_an_unknown_fault_mode_is_named(classroom, instructor, learner):
    run = make_run(owner=learner, state="running", control_channel="specific.a!b")
    with pytest.raises(ValidationError, match="fault mode"):
        services.inject_fault(classroom, instructor, "melt", run=run)


def test_the_instructor_may_stop_a_learners_run_and_another_instructor_may_not(
    classroom, instructor, other_instructor, learner
):
    run = make_run(owner=learner)  # queued: stopped at once
    with pytest.raises(PermissionDenied):
        services.stop_learner_run(classroom, other_instructor, run)
    services.stop_learner_run(classroom, instructor, run)
    run.refresh_from_db()
    assert run.state == LabRun.State.FINISHED


@pytest.mark.django_db(transaction=True)
def test_stopping_the_class_stops_every_run_of_it_going_and_no_other(
    classroom, instructor, other_instructor, learner, other_learner, other_classroom
):
    layer = get_channel_layer()
    first, second, theirs = (async_to_sync(layer.new_channel)() for _ in range(3))
    queued = make_run(owner=learner)
    running = [
        make_run(owner=learner, state=state, control_channel=channel)
        for state, channel in (("running", first), ("starting", second))
    ]
    over = make_run(owner=learner, state="finished")
    other = make_run(owner=other_learner, state="running", control_channel=theirs)
    with pytest.raises(PermissionDenied):
        services.stop_class_runs(classroom, other_instructor)

    assert services.stop_class_runs(classroom, instructor) == 3

    # Both runs' channels are one process's (one layer): one message names them both, and
    # goes to each of them (the process's listeners stop every run it names).
    both = sorted(run.pk for run in running)
    for channel in (first, second):
        message = async_to_sync(layer.receive)(channel)
        assert {**message, "runs": sorted(message["runs"])} == {
            "type": "run.stop",
            "by": "instructor",
            "runs": both,
        }
    rows = dict(LabRun.objects.values_list("pk", "state"))
    assert rows[queued.pk] == "finished"  # it had no worker: finished here
    assert rows[over.pk] == "finished" and rows[other.pk] == "running"
    asked = LabRun.objects.filter(stop_requested_at__isnull=False)
    assert set(asked.values_list("pk", flat=True)) == {run.pk for run in running}
    async_to_sync(layer.send)(theirs, {"type": "marker"})
    assert async_to_sync(layer.receive)(theirs) == {"type": "marker"}  # nothing came before
    LabRun.objects.filter(owner=learner).update(state="finished")  # as their workers do
    with pytest.raises(ValidationError, match="run going"):
        services.stop_class_runs(classroom, instructor)


def test_a_refused_run_start_is_the_learners_last_validation_error(client, classroom, learner):
    topology = make_topology(owner=learner, document="Resources: {}\n")
    client.force_login(learner)
    client.post(reverse("labs-run-start", args=[topology.pk]), {"clock_speed": 10})
    record = ValidationErrorRecord.objects.get(learner=learner)
    assert learner_row(classroom, learner)["last_error"] == record.message


def test_a_learner_in_no_class_leaves_no_record(client, other_learner):
    topology = make_topology(owner=other_learner, document="Resources: {}\n")
    client.force_login(other_learner)
    client.post(reverse("labs-run-start", args=[topology.pk]), {"clock_speed": 10})
    assert not ValidationErrorRecord.objects.exists()


# --- who looks stuck ---------------------------------------------------------------------


def _facts(**kw):
    return Facts(
        **{"last_activity": NOW, "recent_runs": [], "recent_errors": [], "running": False, **kw}
    )


def test_a_learner_who_just_did_something_is_not_stuck():
    assert stuck_reasons(_facts(), NOW, 10) == []


def test_no_progress_for_n_minutes_is_stuck_unless_a_run_is_going():
    idle = NOW - timedelta(minutes=11)
    assert stuck_reasons(_facts(last_activity=idle), NOW, 10) == ["idle"]
    assert stuck_reasons(_facts(last_activity=idle, running=True), NOW, 10) == []


def test_three_failing_runs_in_a_row_are_stuck_two_are_not():
    failing = [("failed", None), ("finished", 0.9), ("failed", None)]
    assert stuck_reasons(_facts(recent_runs=failing), NOW, 10) == ["failing-runs"]
    assert stuck_reasons(_facts(recent_runs=failing[:2]), NOW, 10) == []
    mixed = [("failed", None), ("finished", 0.0), ("failed", None)]
    assert stuck_reasons(_facts(recent_runs=mixed), NOW, 10) == []


def test_the_same_validation_error_three_times_is_stuck():
    assert stuck_reasons(_facts(recent_errors=["E1"] * 3), NOW, 10) == ["same-error"]
    assert stuck_reasons(_facts(recent_errors=["E1", "E2", "E1"]), NOW, 10) == []


def test_the_row_says_why_in_words(classroom, learner):
    for _ in range(3):
        services.record_validation_error(learner, None, ["WebTargets.Port: out of range"])
    row = learner_row(classroom, learner)
    assert [r["code"] for r in row["stuck"]] == ["same-error"]
    assert "3 times" in row["stuck"][0]["text"]


@pytest.mark.django_db(transaction=True)
def test_the_instructor_removes_the_lb_rule_of_a_learners_target_sg_from_the_learner_page(
    client, classroom, instructor, learner
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    run = make_run(owner=learner, state="running", control_channel=channel)
    client.force_login(instructor)
    page = client.get(reverse("classrooms-learner", args=[classroom.pk, learner.pk]))
    assert 'id="learner-sg-form"' in page.content.decode()
    assert "<option>WebSecurityGroup</option>" in page.content.decode()
    client.post(
        reverse("classrooms-fault", args=[classroom.pk]),
        {
            "learner": learner.pk,
            "run": run.pk,
            "security_group": "WebSecurityGroup",
            "change": "revoke",
        },
    )
    assert async_to_sync(layer.receive)(channel) == {
        "type": "run.control",
        "command": {"action": "sg", "security_group": "WebSecurityGroup", "change": "revoke"},
        "by": "instructor",
    }
    with pytest.raises(ValidationError, match="security group of this run"):
        services.change_security_group(classroom, instructor, run, "Nope", "revoke")


@pytest.mark.django_db(transaction=True)
def test_a_launched_instance_is_faulted_from_the_dashboard_by_its_id(
    classroom, instructor, learner
):
    asg = (ROOT / "labs" / "starters" / "asg-replaces-failed-instance.yaml").read_text()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    run = make_run(
        owner=learner,
        state="running",
        control_channel=channel,
        topology=make_topology(document=asg),
    )
    services.inject_fault(classroom, instructor, "stopped", run=run, target="WebGroup-3")
    assert async_to_sync(layer.receive)(channel)["command"] == {
        "action": "fault",
        "instance": "WebGroup-3",
        "mode": "stopped",
    }
    # Not a name the group gives: refused before it reaches the run.
    with pytest.raises(ValidationError, match="not an instance of this run"):
        services.inject_fault(classroom, instructor, "stopped", run=run, target="Other-3")


def test_a_due_date_in_the_past_is_refused(classroom, instructor):
    past = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(ValidationError, match="already passed"):
        services.assign(classroom, instructor, due_at=past, topology=make_topology())
    assert not classroom.assignments.exists()


def test_the_assignment_form_says_a_past_due_date_has_passed(client, classroom, instructor):
    client.force_login(instructor)
    response = client.post(
        reverse("classrooms-assign", args=[classroom.pk]),
        {"topology": make_topology().pk, "due_at": "2020-01-01T09:00"},
        follow=True,
    )
    assert "This due date has already passed" in response.content.decode()
    assert not classroom.assignments.exists()


def test_the_same_hint_twice_at_once_is_one_hint_and_a_new_one_is_another(
    classroom, instructor, learner
):
    first = services.send_hint(classroom, instructor, learner, "Check port 80.")
    assert services.send_hint(classroom, instructor, learner, " Check port 80. ") == first
    services.send_hint(classroom, instructor, learner, "Now port 443.")
    assert classroom.hints.count() == 2


def test_a_class_hint_goes_to_each_learner_of_the_class_only(
    classroom, instructor, learner, other_learner, other_classroom
):
    second = make_user("second-learner")
    services.join_classroom(second, classroom.join_code)
    assert services.send_class_hint(classroom, instructor, "Look at the TG.") == 2
    assert sorted(classroom.hints.values_list("learner__username", flat=True)) == [
        "learner",
        "second-learner",
    ]
    assert not other_learner.hints_received.exists()


def test_an_archived_class_takes_no_class_hint(classroom, instructor):
    services.archive_classroom(classroom, instructor)
    with pytest.raises(ValidationError, match="archived"):
        services.send_class_hint(classroom, instructor, "Too late.")


def test_the_dashboards_class_hint_form_reports_how_many_it_reached(client, classroom, instructor):
    client.force_login(instructor)
    response = client.post(
        reverse("classrooms-hint-class", args=[classroom.pk]), {"text": "Hi all"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("classrooms-dashboard", args=[classroom.pk])
    assert "Hint sent to 1 learner." in response.content.decode()
    response = client.post(
        reverse("classrooms-hint-class", args=[classroom.pk]), {"text": ""}, follow=True
    )
    assert "This field is required." in response.content.decode()


def test_the_join_link_names_the_class_and_a_wrong_code_names_nothing(
    client, classroom, other_learner
):
    client.force_login(other_learner)
    page = client.get(reverse("classrooms-join-code", args=[classroom.join_code])).content
    assert "You are joining <strong>SAA cohort 7</strong>, taught by instructor." in page.decode()
    page = client.get(reverse("classrooms-join-code", args=["ZZZZZZZZ"])).content.decode()
    assert "You are joining" not in page
    services.archive_classroom(classroom, classroom.instructor)
    page = client.get(reverse("classrooms-join-code", args=[classroom.join_code])).content
    assert "You are joining" not in page.decode()


def test_a_learners_class_page_starts_an_assigned_exam_and_marks_what_is_past_due(
    client, classroom, learner
):
    from playground.classrooms.models import Assignment
    from tests.quizzes.factories import make_exam

    exam = make_exam()
    Assignment.objects.create(
        classroom=classroom, question_set=exam, due_at=datetime.now(UTC) - timedelta(hours=1)
    )
    client.force_login(learner)
    page = client.get(reverse("classrooms-mine", args=[classroom.pk])).content.decode()
    assert reverse("quizzes-exam-start", args=[exam.slug]) in page
    assert "past due" in page


def test_the_create_button_pressed_twice_makes_one_class(client, instructor):
    from playground.classrooms.models import Classroom

    client.force_login(instructor)
    for _ in range(2):
        response = client.post(reverse("classrooms-create"), {"name": "SAA 8기"})
    (made,) = Classroom.objects.filter(instructor=instructor)
    assert response["Location"] == reverse("classrooms-detail", args=[made.pk])
    assert services.create_classroom(instructor, "SAA 9기") != made


def test_the_drill_in_page_scores_class_answers_and_leaves_out_practice(
    client, classroom, instructor, learner
):
    from playground.quizzes.models import Answer
    from playground.quizzes.services.answers import record_answer
    from tests.quizzes.factories import correct_ids, make_question, wrong_ids

    url = reverse("classrooms-learner", args=[classroom.pk, learner.pk])
    client.force_login(instructor)
    assert "no answers yet" in client.get(url).content.decode()
    question = make_question()
    record_answer(learner, question, correct_ids(question), Answer.Source.LAB)
    record_answer(learner, question, wrong_ids(question)[:1], Answer.Source.LIVE)
    record_answer(learner, question, wrong_ids(question)[:1], Answer.Source.PRACTICE)
    assert "50% · 1 of 2 right" in client.get(url).content.decode()


def test_an_archived_classs_dashboard_says_so_and_offers_no_class_wide_action(
    client, classroom, instructor
):
    client.force_login(instructor)
    url = reverse("classrooms-dashboard", args=[classroom.pk])
    page = client.get(url).content.decode()
    assert 'id="class-hint-form"' in page and "archived-notice" not in page
    services.archive_classroom(classroom, instructor)
    page = client.get(url, headers={"accept-language": "ko"}).content.decode()
    assert "이 수업은 보관되었습니다." in page
    assert 'id="class-hint-form"' not in page and 'id="class-fault-form"' not in page
