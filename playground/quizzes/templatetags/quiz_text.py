"""``{% load quiz_text %}``: quiz content as sanitised Markdown (playground.quizzes.text)."""

from django import template
from django.utils.safestring import SafeString

from playground.quizzes import text

register = template.Library()


@register.filter
def markdown(value: str) -> SafeString:
    return text.markdown(value)


@register.filter
def markdown_inline(value: str) -> SafeString:
    return text.markdown_inline(value)


@register.simple_tag
def choice_why(choice: object) -> SafeString:
    """The choice's explanation, Markdown rendered, without a repeated "Correct."."""
    why = text.choice_why(
        str(getattr(choice, "explanation", "")), bool(getattr(choice, "is_correct", False))
    )
    return text.markdown_inline(why)
