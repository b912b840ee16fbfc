"""The starter gallery (``labs/starters``): every starter is a real CloudFormation template.

Each one passes cfn-lint as written and as the playground exports it, loads as a topology,
speaks both languages, and generates traffic that its own listener rules route.
"""

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from cfnlint.api import lint

from labs.cfn import dump_json, dump_yaml, load_topology, parse_document, template_metadata

STARTERS_DIR = Path(__file__).resolve().parents[2] / "labs" / "starters"
STARTERS = sorted(path.name for path in STARTERS_DIR.glob("*.yaml"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def starter_text(name: str) -> str:
    return (STARTERS_DIR / name).read_text(encoding="utf-8")


def lint_problems(text: str) -> list[str]:
    """cfn-lint's errors and warnings (the template's own Metadata cfn-lint config applies)."""
    return [f"{match.rule.id} line {match.linenumber}: {match.message}" for match in lint(text)]


def test_the_gallery_has_every_starter_the_curriculum_needs():
    curriculum = {
        "basic-alb.yaml",
        "path-routing.yaml",
        "host-routing.yaml",
        "query-header-routing.yaml",
        "https-redirect.yaml",
        "sticky-sessions.yaml",
        "weighted-blue-green.yaml",
        "lambda-target.yaml",
        "containers-dynamic-ports.yaml",
        "security-group-from-lb.yaml",
        "nlb-static-ips.yaml",
        "nlb-in-front-of-alb.yaml",
        "gwlb-appliances.yaml",
        "classic-lb.yaml",
        "internal-and-internet-facing.yaml",
        # The exam's what-ifs (issue 13).
        "asg-replaces-failed-instance.yaml",
        "whatif-fail-open.yaml",
        "whatif-az-loss.yaml",
        "whatif-cross-zone-off.yaml",
        "whatif-target-sg-blocks-lb.yaml",
        "whatif-sticky-target-fails.yaml",
    }
    assert set(STARTERS) == curriculum


@pytest.mark.parametrize("name", STARTERS)
def test_starter_passes_cfn_lint(name):
    assert lint_problems(starter_text(name)) == []


@pytest.mark.parametrize("name", STARTERS)
@pytest.mark.parametrize("dump", [dump_yaml, dump_json], ids=["yaml", "json"])
def test_exported_starter_passes_cfn_lint_and_loads_again(name, dump):
    exported = dump(parse_document(starter_text(name)))
    assert lint_problems(exported) == []
    assert load_topology(exported) == load_topology(starter_text(name))


@pytest.mark.parametrize("name", STARTERS)
def test_starter_loads_as_a_valid_topology(name):
    topology = load_topology(starter_text(name))
    assert topology.load_balancers


@pytest.mark.parametrize("name", STARTERS)
def test_starter_speaks_both_languages_and_says_what_traffic_to_send(name):
    playground = template_metadata(starter_text(name))
    for field in ("Title", "Description"):
        texts = playground.get(field) or {}
        assert set(texts) == {"en", "ko"}, f"{field} needs exactly en and ko"
        assert texts["en"].strip() and not HANGUL.search(texts["en"]), f"{field}.en"
        assert HANGUL.search(texts["ko"]), f"{field}.ko is not Korean"
    traffic = playground["Traffic"]
    assert traffic["RequestsPerSecond"] > 0 and traffic["Clients"] >= 1
    assert traffic["Paths"] and all(path.startswith("/") for path in traffic["Paths"])


@pytest.mark.parametrize("name", STARTERS)
def test_playground_settings_live_only_under_metadata_playground(name):
    document = parse_document(starter_text(name))
    assert document.get("Description"), "CloudFormation's own Description is set too"
    # cfn-lint's own section only silences W3010: the playground needs named AZs.
    assert set(document["Metadata"]) <= {"Playground", "cfn-lint"}
    assert document["Metadata"].get("cfn-lint", {}) in (
        {},
        {"config": {"ignore_checks": ["W3010"]}},
    )
    for logical_id, resource in document["Resources"].items():
        assert set(resource.get("Metadata") or {}) <= {"Playground"}, logical_id


# --- traffic against the template's own listener rules ------------------------------------
def _wildcard(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _condition_matches(condition: dict, host: str, path: str, query: str) -> bool:
    """Spec §1.3 for what generated traffic carries: a GET with a host, a path and a query."""
    field = condition["Field"]
    config_key = {
        "host-header": "HostHeaderConfig",
        "path-pattern": "PathPatternConfig",
        "query-string": "QueryStringConfig",
        "http-request-method": "HttpRequestMethodConfig",
    }.get(field)
    if config_key is None:  # headers and source IPs are not something Traffic can choose
        return False
    values = (condition.get(config_key) or {}).get("Values") or condition.get("Values") or []
    if field == "host-header":
        return any(_wildcard(v, host, case_sensitive=False) for v in values)
    if field == "path-pattern":
        return any(_wildcard(v, path, case_sensitive=True) for v in values)
    if field == "http-request-method":
        return "GET" in values
    pairs = parse_qsl(query, keep_blank_values=True)
    return any(
        _wildcard(want.get("Key", "*"), key, case_sensitive=False)
        and _wildcard(want["Value"], value, case_sensitive=False)
        for want in values
        for key, value in pairs
    )


@pytest.mark.parametrize("name", STARTERS)
def test_every_traffic_path_and_host_exercises_a_listener_rule(name):
    document = parse_document(starter_text(name))
    rules = [
        resource["Properties"]
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    ]
    if not rules:
        return  # the listener's default action takes every request: nothing to miss
    traffic = document["Metadata"]["Playground"]["Traffic"]
    host = traffic.get("Host")
    hosts = [host] if isinstance(host, str) else list(host or ["lb.example.com"])

    def routed_by_a_rule(host: str, url: str) -> bool:
        parts = urlsplit(url)
        return any(
            all(_condition_matches(c, host, parts.path, parts.query) for c in rule["Conditions"])
            for rule in rules
        )

    for path in traffic["Paths"]:
        assert any(routed_by_a_rule(h, path) for h in hosts), f"no rule routes {path}"
    for h in hosts:
        assert any(routed_by_a_rule(h, p) for p in traffic["Paths"]), f"no rule routes {h}"
