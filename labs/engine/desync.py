"""HTTP desync mitigation: how a request is classified and what each mode does with it.

ELB_BEHAVIOUR.md §4.2: every request is classified Compliant, Acceptable, Ambiguous or
Severe; ``routing.http.desync_mitigation_mode`` decides what happens:

| class      | monitor | defensive (default)          | strictest |
| ---------- | ------- | ---------------------------- | --------- |
| Compliant  | allow   | allow                        | allow     |
| Acceptable | allow   | allow                        | 400       |
| Ambiguous  | allow   | allow, then close both ends  | 400       |
| Severe     | allow   | 400                          | 400       |

A non-compliant request is counted in ``DesyncMitigationMode_NonCompliant_Request_Count``
and its access-log line carries ``classification`` and ``classification_reason`` (§4.4,
fields 28–29); a Compliant one logs ``-`` for both.

The reason names are AWS's (ALB guide, access logs, "Classification reasons"; they come
from AWS's http_desync_guardian). The spec names the classes, not every reason, so the
reasons below are the ones that can reach a playground listener: requests our parser
refuses outright (a NUL in a header, a bare CR) are already 400 ``MalformedRequest``.
The most severe reason a request has is the one it is classified by.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from . import errors
from .errors import LbError

COMPLIANT, ACCEPTABLE, AMBIGUOUS, SEVERE = "Compliant", "Acceptable", "Ambiguous", "Severe"
MONITOR, DEFENSIVE, STRICTEST = "monitor", "defensive", "strictest"
MODES = (MONITOR, DEFENSIVE, STRICTEST)
ALLOW, CLOSE_AFTER, BLOCK = "allow", "close_after", "block"  # what the mode does
_RANK = {COMPLIANT: 0, ACCEPTABLE: 1, AMBIGUOUS: 2, SEVERE: 3}

# AWS's classification reasons and their class.
REASONS = {
    "EmptyHeader": ACCEPTABLE,  # a header with an empty value
    "GetHeadZeroContentLength": ACCEPTABLE,  # Content-Length: 0 on GET or HEAD
    "NonCompliantHeader": ACCEPTABLE,  # a header value with non-ASCII or control bytes
    "SpaceInUri": ACCEPTABLE,  # an unencoded space in the URI
    "AmbiguousUri": AMBIGUOUS,  # control characters in the URI
    "BothTeClPresent": AMBIGUOUS,  # Transfer-Encoding and Content-Length
    "DuplicateContentLength": AMBIGUOUS,  # several Content-Length headers, one value
    "SuspiciousHeader": AMBIGUOUS,  # a name that normalises to Content-Length / T-E
    "UndefinedContentLengthSemantics": AMBIGUOUS,  # Content-Length > 0 on GET or HEAD
    "UndefinedTransferEncodingSemantics": AMBIGUOUS,  # Transfer-Encoding on GET or HEAD
    "BadContentLength": SEVERE,  # a Content-Length that is not a number
    "BadHeader": SEVERE,  # NUL or CR in a header
    "BadTransferEncoding": SEVERE,  # a Transfer-Encoding value that is not chunked
    "BadUri": SEVERE,  # NUL or CR in the URI
    "MultipleContentLength": SEVERE,  # several Content-Length headers, different values
    "MultipleTransferEncodingChunked": SEVERE,  # chunked given more than once
}

_VERDICTS = {
    MONITOR: {COMPLIANT: ALLOW, ACCEPTABLE: ALLOW, AMBIGUOUS: ALLOW, SEVERE: ALLOW},
    DEFENSIVE: {COMPLIANT: ALLOW, ACCEPTABLE: ALLOW, AMBIGUOUS: CLOSE_AFTER, SEVERE: BLOCK},
    STRICTEST: {COMPLIANT: ALLOW, ACCEPTABLE: BLOCK, AMBIGUOUS: BLOCK, SEVERE: BLOCK},
}
_NO_BODY_METHODS = frozenset({"GET", "HEAD"})
_SUSPICIOUS = frozenset({b"contentlength", b"transferencoding"})
_URI_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_URI_ODD = re.compile(rb"[\x00-\x20\x7f]")  # a control character or a space
_FAST_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline pass here
_NAME, _VALUE = itemgetter(0), itemgetter(1)
_VALUE_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # a tab is allowed in a value
# An empty or all-blank value among the joined ones (what value.strip() empties; other
# whitespace is a control byte the fast path refuses already).
_BLANK_VALUE = re.compile(rb"(?:^|\n)[ \t]*(?:\n|\Z)")


@dataclass(frozen=True, slots=True)
class Classification:
    level: str  # COMPLIANT, ACCEPTABLE, AMBIGUOUS or SEVERE
    reason: str | None = None  # AWS's classification_reason; None when Compliant

    @property
    def compliant(self) -> bool:
        return self.level == COMPLIANT


COMPLIANT_REQUEST = Classification(COMPLIANT)


def classify(method: str, uri: bytes, headers: Sequence[tuple[bytes, bytes]]) -> Classification:
    """The class of one request, by its most severe reason (one pass over the headers)."""
    # The proxy's path: almost every request is Compliant, and that is decided with a few
    # C-level scans of the joined names and values instead of a loop over the headers.
    values = b"\n".join(map(_VALUE, headers))
    names = b" ".join(map(_NAME, headers)).lower()
    if (
        b"length" not in names  # Content-Length and what normalises to it
        and b"transfer" not in names
        and values.isascii()
        and not _FAST_CONTROL.search(values)
        and values.count(b"\n") == len(headers) - 1  # no newline in a value
        and (not headers or not _BLANK_VALUE.search(values))  # EmptyHeader: blank counts
        and not _URI_ODD.search(uri)
    ):
        return COMPLIANT_REQUEST
    return _classify(method, uri, headers)


def _classify(method: str, uri: bytes, headers: Sequence[tuple[bytes, bytes]]) -> Classification:
    found: list[str] = []
    if b" " in uri:
        found.append("SpaceInUri")
    if _URI_CONTROL.search(uri):
        found.append("BadUri" if b"\x00" in uri or b"\r" in uri else "AmbiguousUri")
    lengths: list[bytes] = []
    chunked = 0
    codings = False
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            lengths.append(value.strip())
        elif lower == b"transfer-encoding":
            codings = True
            for coding in value.lower().split(b","):
                coding = coding.strip()
                if coding == b"chunked":
                    chunked += 1
                elif coding != b"identity":
                    found.append("BadTransferEncoding")
        elif (b"length" in lower or b"encoding" in lower) and lower.replace(b"_", b"").replace(
            b"-", b""
        ).strip() in _SUSPICIOUS:
            found.append("SuspiciousHeader")
        if not value.strip():
            found.append("EmptyHeader")
        elif b"\x00" in value or b"\r" in value:
            found.append("BadHeader")
        elif not value.isascii() or _VALUE_CONTROL.search(value):
            found.append("NonCompliantHeader")
    if chunked > 1:
        found.append("MultipleTransferEncodingChunked")
    if lengths:
        if not all(v.isdigit() for v in lengths):
            found.append("BadContentLength")
        elif len(set(lengths)) > 1:
            found.append("MultipleContentLength")
        elif len(lengths) > 1:
            found.append("DuplicateContentLength")
        if codings:
            found.append("BothTeClPresent")
        if method in _NO_BODY_METHODS and all(v.isdigit() for v in lengths):
            zero = all(int(v) == 0 for v in lengths)
            found.append("GetHeadZeroContentLength" if zero else "UndefinedContentLengthSemantics")
    if codings and method in _NO_BODY_METHODS:
        found.append("UndefinedTransferEncodingSemantics")
    if not found:
        return COMPLIANT_REQUEST
    worst = max(found, key=lambda reason: _RANK[REASONS[reason]])
    return Classification(REASONS[worst], worst)


def verdict(classification: Classification, mode: str) -> str:
    """What ``mode`` does with a request of this class: ALLOW, CLOSE_AFTER or BLOCK."""
    try:
        return _VERDICTS[mode][classification.level]
    except KeyError:
        raise ValueError(f"not a desync mitigation mode: {mode}") from None


@dataclass(frozen=True, slots=True)
class Admission:
    """Whether a parsed request may be routed, and how it is classified."""

    refusal: LbError | None  # answer this instead of routing
    classification: Classification | None  # None when Compliant (the log's "-")
    close_after: bool = False  # close the connection(s) after the answer; read no more


ADMITTED = Admission(None, None)
MAX_FORWARDED_FOR = 30  # more addresses ⇒ 463 (exact boundary unverified: spec Appendix B)
_HTTP1 = frozenset({"0.9", "1.0", "1.1"})
# llhttp's words for a request line that is not HTTP/1.x (an HTTP/2 preface included).
_VERSION_ERRORS = ("Invalid HTTP version", "Pause on PRI/Upgrade")


def admit(
    *,
    forwarded_for: str,
    version: str,
    method: str,
    uri: bytes,
    headers: Sequence[tuple[bytes, bytes]],
    mode: str,
) -> Admission:
    """The checks a parsed request passes before routing: its HTTP version (505), the
    X-Forwarded-For it arrived with (463, §4.3) and the desync mitigation mode's verdict
    on its class (§4.2)."""
    if version not in _HTTP1:  # not HTTP/1: nothing more on this connection is readable
        return Admission(errors.HTTP_VERSION_NOT_SUPPORTED, None, close_after=True)
    if forwarded_for.count(",") >= MAX_FORWARDED_FOR:
        return Admission(errors.TOO_MANY_FORWARDED_FOR, None)
    classification = classify(method, uri, headers)
    if classification.compliant:
        return ADMITTED
    what = verdict(classification, mode)
    if what == BLOCK:
        return Admission(errors.DESYNC_BLOCKED, classification, close_after=True)
    return Admission(None, classification, close_after=what == CLOSE_AFTER)


def parse_refusal(message: str) -> LbError:
    """The answer to a request the HTTP/1 parser refused, from the parser's message."""
    if message.startswith(_VERSION_ERRORS):
        return errors.HTTP_VERSION_NOT_SUPPORTED  # 505
    return errors.MALFORMED_REQUEST  # 400
