"""Korean as AWS speaks it: every Korean text the site ships keeps to KO_GLOSSARY.md.

The texts are the UI catalog, the quiz bank and the starter labs. Each rule below is a form
the glossary rules out, with the form to use instead; a test fails naming the text and the
offending words, so a new question or string that drifts is caught before a learner sees it.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HEALTH = r"(?:unhealthy|healthy|initial|draining|unused|unavailable)"

# (rule id, pattern that must not occur in Korean text, what the glossary says instead)
RULES = [
    ("redirect", r"리다이렉트", "리디렉션"),
    ("scheme", r"인터넷 연결", "인터넷 경계 (internet-facing)"),
    ("public-private", r"공인|사설|공공|공용", "퍼블릭 / 프라이빗"),
    ("fail-open", r"장애 시 개방|실패 시 개방|(?<!\()fail open", "오류 시 열림(fail open)"),
    (
        "least-outstanding",
        r"미처리 요청|미해결 요청 최소|최소 대기 요청|최소 처리 중 요청",
        "최소 미해결 요청",
    ),
    ("weighted-random", r"가중 랜덤|가중 무작위|가중치 무작위", "가중치 랜덤"),
    # Bare English health states in Korean prose ("unhealthy다", "draining으로"): the Korean
    # word, with the AWS code in parentheses or backticks at first use.
    ("health-state", rf"(?<![`(A-Za-z.]){HEALTH}(?![`)A-Za-z])", "정상/비정상/초기/드레이닝…"),
    ("calque", r"이깁니다|이긴다|말하지 않|말합니다", "적용됩니다 / 해석하지 않습니다"),
    # 해요체 requests ("고르세요") where the glossary asks for 합니다체 throughout.
    ("register", r"(?:세|해|에|어|아)요(?:[.!?)\s]|$)", "고르십시오 / 확인하십시오 (합니다체)"),
]


def _korean(value: object, where: str) -> Iterator[tuple[str, str]]:
    """Every string under a `ko` key, with where it lives."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "ko" and isinstance(item, str):
                yield where, item
            else:
                label = item.get("key", key) if isinstance(item, dict) else key
                yield from _korean(item, f"{where}/{label}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("key", index) if isinstance(item, dict) else index
            yield from _korean(item, f"{where}/{label}")


def _msgstrs() -> Iterator[tuple[str, str]]:
    for po in sorted((ROOT / "locale" / "ko" / "LC_MESSAGES").glob("*.po")):
        text = po.read_text(encoding="utf-8")
        for match in re.finditer(r'^msgstr(?:\[\d\])? "(.*)"\n((?:".*"\n)*)', text, re.M):
            body = match.group(1) + "".join(re.findall(r'"(.*)"', match.group(2)))
            line = text.count("\n", 0, match.start()) + 1
            yield f"{po.name}:{line}", body


def korean_texts() -> list[tuple[str, str]]:
    bank = ROOT / "playground" / "quizzes" / "content" / "questions.json"
    texts = list(_korean(json.loads(bank.read_text(encoding="utf-8")), "questions.json"))
    for starter in sorted((ROOT / "labs" / "starters").glob("*.yaml")):
        document = yaml.load(starter.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
        texts += _korean(document, starter.name)
    return texts + list(_msgstrs())


class _CfnLoader(yaml.SafeLoader):
    """Safe loading that reads CloudFormation's short forms (!Ref, !GetAtt) as plain data."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


@pytest.mark.parametrize(("rule", "pattern", "instead"), RULES, ids=[rule[0] for rule in RULES])
def test_korean_texts_use_the_glossarys_terms(rule, pattern, instead):
    found = [
        f"{where}: {match.group(0)!r} in {text[max(0, match.start() - 20) : match.end() + 20]!r}"
        for where, text in korean_texts()
        for match in re.finditer(pattern, text)
        if not (rule == "health-state" and "connection draining" in text)  # a term gloss
    ]
    assert found == [], f"use {instead}"


def test_the_scan_sees_every_kind_of_text():
    places = {where.split("/")[0].split(":")[0] for where, _ in korean_texts()}
    assert {"questions.json", "django.po", "https-redirect.yaml"} <= places


@pytest.mark.parametrize(
    ("rule", "bad"),
    [
        ("redirect", "301 리다이렉트로 응답합니다."),
        ("scheme", "인터넷 연결 ALB"),
        ("public-private", "공인 IP 주소"),
        ("fail-open", "실패 시 개방(fail open)합니다."),
        ("fail-open", "ALB는 fail open합니다."),
        ("least-outstanding", "미처리 요청 최소"),
        ("weighted-random", "가중 무작위"),
        ("health-state", "등록된 대상이 모두 unhealthy다."),
        ("health-state", "draining으로 표시됩니다."),
        ("calque", "첫 규칙이 이깁니다."),
        ("register", "보기를 2개 고르세요."),
        ("register", "먼저 저장해요."),
    ],
)
def test_each_rule_catches_the_form_it_rules_out(rule, bad):
    pattern = dict((name, pattern) for name, pattern, _ in RULES)[rule]
    assert re.search(pattern, bad)


@pytest.mark.parametrize(
    "good",
    [
        "비정상(`unhealthy`)이 됩니다.",
        "오류 시 열림(fail open)으로 동작합니다.",
        "보기를 2개 고르십시오.",
        "HealthyHostCount",
    ],
)
def test_the_forms_the_glossary_asks_for_pass(good):
    assert not any(re.search(pattern, good) for _, pattern, _ in RULES)


# 해라체 ("…한다.", "없다.") where the glossary asks for 합니다체; "…마다." is a noun phrase.
PLAIN_STYLE = re.compile(r"(?<![니마])다[.)]?$")


def test_the_quiz_speaks_합니다체():
    plain = [
        f"{where}: {text!r}"
        for where, text in korean_texts()
        if where.startswith("questions.json") and PLAIN_STYLE.search(text.strip())
    ]
    assert plain == []


def test_the_register_check_catches_plain_style():
    assert PLAIN_STYLE.search("대상 그룹에 등록된 대상이 없다.")
    assert not PLAIN_STYLE.search("대상 그룹에 등록된 대상이 없습니다.")
    assert not PLAIN_STYLE.search("EC2 콘솔에서 인스턴스마다.")
