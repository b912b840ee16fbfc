"""In-lab triggers for the NLB, the GWLB and the Classic Load Balancer, and their questions.

The new trigger codes widen the two fields' choices. On a database made before this
release, the questions written for those triggers are added from content/questions.json
(as 0002 does for a fresh one: a key already present is left alone), and four shipped
questions that fit a new trigger get it, while their trigger is still empty (an admin's
choice stays).
"""

import importlib

from django.db import migrations, models


ATTACH = {
    "nlb-client-ip-instance-targets": "nlb_client_ip_preserved",
    "gwlb-no-fail-open": "gwlb_no_fail_open",
    "clb-connection-draining": "clb_draining",
    "clb-healthy-threshold-default": "clb_out_of_service",
}


def forward(apps, schema_editor):
    bank = importlib.import_module("playground.quizzes.migrations.0002_ship_question_bank")
    bank.load_bank(apps, schema_editor)
    Question = apps.get_model("quizzes", "Question")
    for key, trigger in ATTACH.items():
        Question.objects.filter(key=key, lab_trigger="").update(lab_trigger=trigger)


def backward(apps, schema_editor):
    Question = apps.get_model("quizzes", "Question")
    for key, trigger in ATTACH.items():
        Question.objects.filter(key=key, lab_trigger=trigger).update(lab_trigger="")


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0003_korean_follows_the_glossary"),
    ]

    operations = [
        migrations.AlterField(
            model_name="labquestion",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("first_unhealthy", "A target just turned unhealthy."),
                    ("lb_5xx", "The load balancer itself answered 503 or 504."),
                    ("sticky", "Stickiness pinned a client to one target."),
                    ("redirect", "The load balancer answered with a redirect."),
                    ("fail_open", "No target is healthy, so the load balancer failed open."),
                    ("draining", "A target is draining."),
                    (
                        "health_check_blocked",
                        "A health check timed out: is a security group dropping it?",
                    ),
                    (
                        "cross_zone_imbalance",
                        "Targets in different zones get very different shares.",
                    ),
                    (
                        "nlb_flow_hash",
                        "The Network Load Balancer hashed a new flow onto one target.",
                    ),
                    (
                        "nlb_client_ip_preserved",
                        "The target saw the client's own IP address through the Network Load Balancer.",
                    ),
                    (
                        "nlb_client_ip_not_preserved",
                        "The target saw the Network Load Balancer node's address, not the client's.",
                    ),
                    (
                        "nlb_cross_zone_off",
                        "With cross-zone load balancing off, the node hashed the flow onto its own zone.",
                    ),
                    (
                        "nlb_fail_open",
                        "No target is healthy, so the Network Load Balancer failed open.",
                    ),
                    ("nlb_tls", "The Network Load Balancer terminated TLS for a flow."),
                    (
                        "gwlb_drop",
                        "An appliance behind the Gateway Load Balancer dropped a packet.",
                    ),
                    ("gwlb_sticky", "A later packet of a flow went to the same appliance."),
                    (
                        "gwlb_no_fail_open",
                        "No appliance is healthy, and the Gateway Load Balancer dropped the flow.",
                    ),
                    (
                        "clb_503",
                        "The Classic Load Balancer answered 503: no instance is InService.",
                    ),
                    ("clb_sticky", "The AWSELB cookie pinned a client to one instance."),
                    (
                        "clb_draining",
                        "Connection draining: a deregistered instance finishes its requests.",
                    ),
                    (
                        "clb_out_of_service",
                        "An instance failed its health checks and is OutOfService.",
                    ),
                ],
                max_length=40,
                verbose_name="trigger",
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="lab_trigger",
            field=models.CharField(
                blank=True,
                choices=[
                    ("first_unhealthy", "A target just turned unhealthy."),
                    ("lb_5xx", "The load balancer itself answered 503 or 504."),
                    ("sticky", "Stickiness pinned a client to one target."),
                    ("redirect", "The load balancer answered with a redirect."),
                    ("fail_open", "No target is healthy, so the load balancer failed open."),
                    ("draining", "A target is draining."),
                    (
                        "health_check_blocked",
                        "A health check timed out: is a security group dropping it?",
                    ),
                    (
                        "cross_zone_imbalance",
                        "Targets in different zones get very different shares.",
                    ),
                    (
                        "nlb_flow_hash",
                        "The Network Load Balancer hashed a new flow onto one target.",
                    ),
                    (
                        "nlb_client_ip_preserved",
                        "The target saw the client's own IP address through the Network Load Balancer.",
                    ),
                    (
                        "nlb_client_ip_not_preserved",
                        "The target saw the Network Load Balancer node's address, not the client's.",
                    ),
                    (
                        "nlb_cross_zone_off",
                        "With cross-zone load balancing off, the node hashed the flow onto its own zone.",
                    ),
                    (
                        "nlb_fail_open",
                        "No target is healthy, so the Network Load Balancer failed open.",
                    ),
                    ("nlb_tls", "The Network Load Balancer terminated TLS for a flow."),
                    (
                        "gwlb_drop",
                        "An appliance behind the Gateway Load Balancer dropped a packet.",
                    ),
                    ("gwlb_sticky", "A later packet of a flow went to the same appliance."),
                    (
                        "gwlb_no_fail_open",
                        "No appliance is healthy, and the Gateway Load Balancer dropped the flow.",
                    ),
                    (
                        "clb_503",
                        "The Classic Load Balancer answered 503: no instance is InService.",
                    ),
                    ("clb_sticky", "The AWSELB cookie pinned a client to one instance."),
                    (
                        "clb_draining",
                        "Connection draining: a deregistered instance finishes its requests.",
                    ),
                    (
                        "clb_out_of_service",
                        "An instance failed its health checks and is OutOfService.",
                    ),
                ],
                help_text="Preferred when this lab event happens; otherwise its topics decide.",
                max_length=40,
                verbose_name="ask in the lab when",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
