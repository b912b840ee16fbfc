"""The topology page says what the template's internet gateway and route tables decide
(which subnets are public, which internet-facing LB nothing reaches) and names its Route 53
aliases; a template declaring none of them is told its subnets count as public."""

import re
from pathlib import Path

from django.urls import reverse
from django.utils.html import strip_tags

from labs import services
from tests.factories import make_topology

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TWO_TIER = (TEMPLATES / "vpc_igw_public_private_alias.yaml").read_text()


def _page(client, learner, text):
    topology = make_topology(owner=learner)
    services.save_document(learner, topology, text)
    client.force_login(learner)
    answer = client.get(reverse("labs-topology-detail", args=[topology.pk]))
    assert answer.status_code == 200
    return " ".join(strip_tags(answer.text).split())


def _section(text):
    return re.search(r"Internet access (.*?)(From the template|Your runs)", text).group(1)


def test_each_subnet_is_shown_public_or_private_with_what_decides_it(client, learner):
    shown = _section(_page(client, learner, TWO_TIER))

    assert (
        "PublicSubnet1 (us-east-1a, 10.20.10.0/24): public, via InternetGateway "
        "(route table PublicRouteTable)" in shown
    )
    assert (
        "PrivateSubnet2 (us-east-1b, 10.20.21.0/24): private: route table PrivateRouteTable "
        "has no 0.0.0.0/0 route to an internet gateway" in shown
    )
    assert "www.example.com → PublicLoadBalancer" in shown
    assert "nothing on the internet reaches it" not in shown


def test_an_internet_facing_lb_in_private_subnets_is_said_to_be_out_of_reach(client, learner):
    text = TWO_TIER.replace(
        "Subnets: [!Ref PublicSubnet1, !Ref PublicSubnet2]",
        "Subnets: [!Ref PrivateSubnet1, !Ref PrivateSubnet2]",
    )

    shown = _section(_page(client, learner, text))

    assert (
        "PublicLoadBalancer is internet-facing, but none of its subnets is public: nothing on "
        "the internet reaches it" in shown
    )


def test_a_template_without_routing_counts_every_subnet_as_public(client, learner):
    starter = Path(__file__).resolve().parents[2] / "labs" / "starters" / "basic-alb.yaml"

    shown = _section(_page(client, learner, starter.read_text()))

    assert "declares no internet gateway and no route tables" in shown
    assert "public (routing not modelled)" in shown
    assert "private" not in shown
