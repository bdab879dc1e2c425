from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pluralize_word(word: str) -> str:
    """'company' -> 'companies', 'hub' -> 'hubs': enough English for the words the providers use."""
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"
