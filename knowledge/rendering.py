"""Markdown to safe HTML, plain text, highlighted snippets and version diffs."""

import difflib
import html
import re
from dataclasses import dataclass

import markdown
import nh3

from .extraction import html_to_text

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "*": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# ts_headline and the Python fallback mark hits with these; they become <mark>
# only after the text around them has been escaped.
MARK_START, MARK_STOP = "\ue000", "\ue001"


def render_markdown(source: str) -> str:
    """Markdown → HTML that is safe to show: scripts, event handlers, javascript:
    URLs and unknown tags are removed by nh3 after Markdown has run."""
    raw = markdown.markdown(
        source or "", extensions=["extra", "sane_lists"], output_format="html"
    )
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def markdown_to_text(source: str) -> str:
    return html_to_text(render_markdown(source))


def marks_to_html(text: str) -> str:
    """Escape a snippet and turn the hit markers into <mark> elements."""
    escaped = html.escape(text)
    escaped = escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return nh3.clean(escaped, tags={"mark"}, attributes={})


def terms_of(text: str) -> list[str]:
    """The searchable words of a query, lower-case, in order, without repeats."""
    seen: list[str] = []
    for word in re.findall(r"\w+", (text or "").lower()):
        if len(word) > 1 and word not in seen:
            seen.append(word)
    return seen[:12]


def python_snippet(text: str, query: str, *, width: int = 220) -> str:
    """A window of `text` around the first hit, with every hit marked (escaped HTML)."""
    terms = terms_of(query)
    text = re.sub(r"\s+", " ", text or "").strip()
    lowered = text.lower()
    hits = [lowered.find(t) for t in terms if lowered.find(t) >= 0]
    start = max(min(hits) - width // 3, 0) if hits else 0
    window = text[start : start + width]
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        window = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    return marks_to_html(prefix + window + suffix)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    text: str
    old_number: int | None = None
    new_number: int | None = None


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """A line diff for display; the template escapes the text."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(
                    DiffLine("same", a[i], i + 1, j + 1)
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in {"replace", "delete"}:
                out.extend(
                    DiffLine("removed", a[i], i + 1, None) for i in range(i1, i2)
                )
            if tag in {"replace", "insert"}:
                out.extend(DiffLine("added", b[j], None, j + 1) for j in range(j1, j2))
    return out
