"""The Run button refuses a topology without a data plane yet, in the learner's language."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from labs import services
from labs.models import LabRun
from tests.factories import make_topology

STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ko"])
def test_start_run_refuses_it_with_a_translated_message(learner, language):
    # Every starter runs; a Classic LB speaking TLS and plain text to one instance port
    # (one dummy server per port) is not simulated yet.
    document = (STARTERS / "classic-lb.yaml").read_text(encoding="utf-8")
    listener = "          Protocol: HTTP\n"
    assert listener in document
    second = (
        '        - LoadBalancerPort: "8443"\n'
        '          InstancePort: "80"\n'
        "          Protocol: TCP\n"
        "          InstanceProtocol: SSL\n"
    )
    mixed = document.replace(listener, listener + second, 1)
    topology = make_topology(document=mixed)
    why = (
        "a Classic Load Balancer speaking TLS and plain text to the same instance port is not "
        "simulated yet"
    )
    with translation.override(language), pytest.raises(ValidationError) as refused:
        services.start_run(learner, topology)
    (message,) = refused.value.messages
    with translation.override(language):
        expected = translation.gettext(why)
    assert expected in message
    assert refused.value.error_list[0].code == "not-runnable"
    assert not LabRun.objects.exists()
