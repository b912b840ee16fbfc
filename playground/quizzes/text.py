"""How quiz content reads: Markdown (CommonMark) rendered and sanitised, and a choice's
explanation without a verdict the page already shows.

Content is written by admins and imported from files, so it is never trusted: raw HTML in
it is not rendered (markdown-it's ``html`` off) and the output passes nh3 with a short
list of tags. Every page and socket that shows a prompt or an explanation uses these.
"""

from __future__ import annotations

import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
TAGS = {"p", "br", "code", "pre", "em", "strong", "ul", "ol", "li", "a", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}}

# "Correct." / "Correct:" / "맞습니다." at the start of a right choice's explanation: the
# page already says "Correct choice.", and "Correct choice. Correct." reads as a stutter.
_VERDICT = re.compile(r"^\s*(?:correct|right|맞습니다|정답입니다|정답)\s*[.:!—-]?\s*", re.I)


def markdown(text: str) -> SafeString:
    """``text`` as sanitised HTML (block: paragraphs, lists, code)."""
    html = _md.render(text or "")
    return mark_safe(  # noqa: S308 - nh3 has just sanitised it
        nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, link_rel="noopener noreferrer")
    )


def markdown_inline(text: str) -> SafeString:
    """``text`` as sanitised inline HTML (no paragraphs): a choice's text."""
    html = _md.renderInline(text or "")
    return mark_safe(  # noqa: S308 - nh3 has just sanitised it
        nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, link_rel="noopener noreferrer")
    )


def choice_why(explanation: str, is_correct: bool) -> str:
    """A choice's explanation as shown under the page's own verdict."""
    return _VERDICT.sub("", explanation, count=1) if is_correct else explanation
