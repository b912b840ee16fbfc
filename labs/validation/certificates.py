"""ACM certificates: a domain name (and alternative names). The run issues each one from
its own certificate authority, so only the names matter here."""

from __future__ import annotations

import re
from typing import Any

from labs.engine import spec

from .core import CERTIFICATE, Context, rule

DOMAIN = rule("certificate.domain-name", source="ACM RequestCertificate")
ALTERNATIVE_NAMES = rule("certificate.alternative-names", source="ACM RequestCertificate")

# ACM's DomainName pattern: an optional leading "*." then dot-separated labels.
_DOMAIN = re.compile(
    r"(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+"
    r"((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])"
)


def check(ctx: Context) -> None:
    for logical_id, props in ctx.of_type(CERTIFICATE):
        domain = _domain(ctx, logical_id, "Properties.DomainName", props.get("DomainName"))
        names = props.get("SubjectAlternativeNames") or []
        if not isinstance(names, list) or len(names) > 100:
            ctx.fail(
                ALTERNATIVE_NAMES,
                logical_id,
                "Properties.SubjectAlternativeNames",
                "must be a list of at most 100 domain names",
            )
            names = []
        alternatives = [
            _domain(ctx, logical_id, f"Properties.SubjectAlternativeNames[{i}]", n)
            for i, n in enumerate(names)
        ]
        ctx.choice(
            logical_id,
            "Properties.ValidationMethod",
            props.get("ValidationMethod"),
            ("DNS", "EMAIL"),
            "DNS",
        )
        ctx.certificates[logical_id] = spec.Certificate(
            name=logical_id,
            domain_name=domain,
            alternative_names=tuple(a for a in alternatives if a),
        )


def _domain(ctx: Context, logical_id: str, path: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 253 or not _DOMAIN.fullmatch(value):
        ctx.fail(
            DOMAIN,
            logical_id,
            path,
            f"{value!r} is not a fully qualified domain name (e.g. www.example.com or "
            "*.example.com, at most 253 characters)",
        )
        return ""
    return value
