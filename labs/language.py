"""The language a WebSocket viewer reads: the page's, as Django chose it for HTTP."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from labs.orm import in_db_thread

R = TypeVar("R")


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


async def in_language(language: str, function: Callable[..., R], *args: Any) -> R:
    """``function(*args)`` in a database thread with ``language`` active there: what it
    renders (rows, a live quiz's view) reads in the viewer's language."""

    def call() -> R:
        with translation.override(language):
            return function(*args)

    return await in_db_thread(call)()
