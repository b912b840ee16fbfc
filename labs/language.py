"""The language a WebSocket viewer reads: the page's, as Django chose it for HTTP."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def viewer_language(scope: dict[str, Any]) -> str:
    """The language the page was rendered in: the switcher's cookie, else the browser's."""
    cookie = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    headers = dict(scope.get("headers") or [])
    accepted = headers.get(b"accept-language", b"").decode("latin-1")
    for code in [cookie, *(lang for lang, _ in parse_accept_lang_header(accepted))]:
        if not code or code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
