"""Rich text in, safe HTML out: every stored rich-text field goes through ``sanitize``.

nh3 (ammonia) keeps a fixed allow-list of formatting tags and attributes, drops
``<script>``/``<style>``/event handlers/``javascript:`` URLs entirely, and forces
``rel="noopener noreferrer nofollow"`` on links. ``to_text`` gives the plain text
used for search indexing, summaries and snippets.
"""

from __future__ import annotations

import html
import re

import nh3

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "blockquote", "pre", "code", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tfoot", "tr",
    "th", "td", "caption", "span", "div", "figure", "figcaption",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "*": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Elements whose content is code or styling, not text: dropped with their content.
CLEAN_CONTENT_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}

_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|tr|blockquote|pre|table|figure)>|<br\s*/?>|<hr\s*/?>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def sanitize(value: str | None, *, max_length: int = 500_000) -> str:
    """Safe HTML for storing and rendering; empty input gives ""."""
    if not value:
        return ""
    return nh3.clean(
        value[:max_length],
        tags=TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def to_text(value: str | None) -> str:
    """Plain text of (sanitised or raw) HTML: block ends become line breaks, entities decoded."""
    if not value:
        return ""
    # Block ends become line breaks first, then nh3 with an empty allow-list removes all markup
    # (and script/style content); what is left is entity-escaped text.
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags=CLEAN_CONTENT_TAGS, attributes={}))
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def excerpt(value: str | None, length: int = 160) -> str:
    text = " ".join(to_text(value).split())
    return text if len(text) <= length else text[: length - 1] + "…"
