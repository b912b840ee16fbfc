"""Every reason the runtime gives a failed TLS handshake reads in both languages."""

import re
import ssl

from django.utils import translation

from labs import messages
from labs.runtime import traffic


def _codes_the_runtime_gives() -> set[str]:
    found = set()
    for verify_code in [*traffic._VERIFY_CODES, 999]:  # 999: one OpenSSL may add
        error = ssl.SSLCertVerificationError(1, "certificate verify failed")
        error.verify_code = verify_code
        found.add(traffic.tls_code(error))
    for reason in [*traffic._REASONS, "SOMETHING_NEW"]:
        error = ssl.SSLError(1, "handshake")
        error.reason = reason
        found.add(traffic.tls_code(error))
    return found


def test_every_tls_failure_code_has_words_in_english_and_korean():
    codes = _codes_the_runtime_gives()
    assert {"hostname-mismatch", "unknown-ca", "handshake-failure"} <= codes
    assert sorted(codes - set(messages.TLS_REASONS)) == []
    with translation.override("ko"):
        korean = {code: str(messages.TLS_REASONS[code]) for code in codes}
    with translation.override("en"):
        english = {code: str(messages.TLS_REASONS[code]) for code in codes}
    assert [code for code in codes if not re.search("[가-힣]", korean[code])] == []
    assert [code for code in codes if korean[code] == english[code]] == []


def test_the_run_page_gets_them_in_its_language():
    with translation.override("ko"):
        words = messages.catalog()["tlsReasons"]
    assert words["hostname-mismatch"] == "인증서가 요청한 호스트 이름을 포함하지 않습니다"
