"""Assistant providers behind one small interface (`answer(question, passages,
history)`), and retrieval of the passages they answer from. Retrieval only ever
reads articles through `Article.objects.visible_to(user)`, so no provider can
quote an article the asking user may not read."""

import re
from dataclasses import asdict, dataclass, field

import httpx
from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import CitationKind, ExtractionStatus, ProviderKind
from .models import Article, AssistantSession, ProviderConfig
from .rendering import terms_of

STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from how i if in into is it"
    " its me my no not of on or our should so that the their then there these this"
    " to was we what when where which who why will with would you your".split()
)
PASSAGE_CHARS = 900
QUOTE_CHARS = 320
HISTORY_MESSAGES = 8


class ProviderError(Exception):
    """The provider could not produce an answer; the message says why, for users."""


@dataclass
class Passage:
    n: int
    kind: str
    title: str
    text: str
    url: str = ""
    article_id: int | None = None
    version: int | None = None
    document_id: int | None = None
    score: float = 0.0

    def citation(self) -> dict:
        data = asdict(self)
        data.pop("text")
        data.pop("score")
        data["quote"] = quote_of(self.text)
        return data


@dataclass
class Answer:
    content: str
    citations: list[dict] = field(default_factory=list)


def content_terms(text: str) -> list[str]:
    return [t for t in terms_of(text) if t not in STOPWORDS]


def _term_hits(text: str, terms: list[str]) -> int:
    lowered = text.lower()
    # A prefix stands in for stemming ("printers" finds "printer").
    return sum(1 for t in terms if (t[:6] if len(t) > 6 else t) in lowered)


def _chunks(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    chunks: list[str] = []
    for part in parts:
        while len(part) > PASSAGE_CHARS:
            cut = part.rfind(" ", 0, PASSAGE_CHARS)
            cut = cut if cut > PASSAGE_CHARS // 2 else PASSAGE_CHARS
            chunks.append(part[:cut].strip())
            part = part[cut:].strip()
        if part:
            chunks.append(part)
    return chunks


def _best_chunk(text: str, terms: list[str]) -> tuple[int, str]:
    best = (0, "")
    for chunk in _chunks(text):
        hits = _term_hits(chunk, terms)
        if hits > best[0] or not best[1]:
            best = (hits, chunk)
    return best


def quote_of(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text.rfind(". ", 0, QUOTE_CHARS)
    return (
        text[: cut + 1] if cut > QUOTE_CHARS // 3 else text[:QUOTE_CHARS].rstrip() + "…"
    )


def retrieve_passages(
    question: str, *, user, session: AssistantSession | None = None, limit: int = 5
) -> list[Passage]:
    """The best passages for `question` from published articles `user` may read
    and from the session's own documents, numbered 1..n for citing."""
    terms = content_terms(question) or terms_of(question)
    if not terms:
        return []
    candidates: list[Passage] = []
    articles = (
        Article.objects.visible_to(user)
        .published()
        .search(" ".join(terms), mode="any")
        .select_related("published_version")[: limit * 2]
    )
    for position, article in enumerate(articles):
        hits, chunk = _best_chunk(article.body_text, terms)
        title_hits = _term_hits(article.title, terms)
        if not chunk:
            chunk = article.summary
        candidates.append(
            Passage(
                n=0,
                kind=CitationKind.ARTICLE,
                title=article.title,
                text=chunk,
                url=reverse("knowledge:article_detail", kwargs={"slug": article.slug}),
                article_id=article.pk,
                version=article.published_version.number
                if article.published_version
                else None,
                score=hits + 2 * title_hits + 1.0 / (position + 1),
            )
        )
    if session is not None:
        for document in session.documents.filter(
            extraction_status=ExtractionStatus.DONE
        ):
            scored = sorted(
                ((_term_hits(c, terms), c) for c in _chunks(document.text)),
                key=lambda pair: -pair[0],
            )
            for hits, chunk in scored[:2]:
                if hits:
                    candidates.append(
                        Passage(
                            n=0,
                            kind=CitationKind.DOCUMENT,
                            title=document.original_name,
                            text=chunk,
                            document_id=document.pk,
                            # The user brought this file for this question: prefer it.
                            score=hits + 1.5,
                        )
                    )
    candidates.sort(key=lambda p: -p.score)
    chosen = [p for p in candidates if p.score > 0][:limit]
    for n, passage in enumerate(chosen, start=1):
        passage.n = n
    return chosen


def _source_label(passage: Passage) -> str:
    if passage.kind == CitationKind.ARTICLE:
        return _("%(title)s (version %(version)s)") % {
            "title": passage.title,
            "version": passage.version,
        }
    return _("your document “%(name)s”") % {"name": passage.title}


class KnowledgeProvider:
    """Works offline: answers by quoting the best passages, each with its source."""

    name = "knowledge"

    def __init__(self, config: ProviderConfig | None = None):
        self.config = config

    def answer(
        self, question: str, passages: list[Passage], history: list[dict]
    ) -> Answer:
        if not passages:
            return Answer(
                _(
                    "I could not find anything about this in the knowledge base "
                    "available to you. Try other words, or open a ticket."
                )
            )
        lines = [_("Here is what I found:"), ""]
        for passage in passages:
            lines.append(f"> {quote_of(passage.text)}")
            lines.append(f"— [{passage.n}] {_source_label(passage)}")
            lines.append("")
        return Answer("\n".join(lines).strip(), [p.citation() for p in passages])


SYSTEM_PROMPT = (
    "You are the help-desk assistant of a managed IT service provider. Answer the "
    "user's question using only the numbered sources below. After every statement "
    "taken from a source, cite it as [n]. If the sources do not answer the "
    "question, say so plainly; do not invent facts, commands or links."
)


class OpenAICompatibleProvider:
    """Any server that speaks the OpenAI chat-completions API."""

    name = "openai"

    def __init__(self, config: ProviderConfig):
        self.config = config

    def _messages(self, question, passages, history) -> list[dict]:
        sources = (
            "\n\n".join(f"[{p.n}] {_source_label(p)}\n{p.text}" for p in passages)
            or "(no sources found)"
        )
        system = SYSTEM_PROMPT
        if self.config.instructions:
            system += "\n\n" + self.config.instructions
        system += "\n\nSources:\n" + sources
        return [
            {"role": "system", "content": system},
            *history[-HISTORY_MESSAGES:],
            {"role": "user", "content": question},
        ]

    def answer(
        self, question: str, passages: list[Passage], history: list[dict]
    ) -> Answer:
        config = self.config
        url = config.base_url.rstrip("/") + "/chat/completions"
        headers = {"Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        payload = {
            "model": config.model,
            "messages": self._messages(question, passages, history),
            "temperature": config.temperature,
        }
        try:
            response = httpx.post(
                url, json=payload, headers=headers, timeout=config.timeout_seconds
            )
        except httpx.TimeoutException as exc:
            raise ProviderError(
                _("The assistant service did not answer within %(s)s seconds.")
                % {"s": config.timeout_seconds}
            ) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                _("The assistant service cannot be reached (%(error)s).")
                % {"error": type(exc).__name__}
            ) from exc
        if response.status_code in (401, 403):
            raise ProviderError(_("The assistant service refused the API key."))
        if response.status_code == 429:
            raise ProviderError(
                _("The assistant service is busy (rate limited). Try again shortly.")
            )
        if response.status_code >= 400:
            raise ProviderError(
                _("The assistant service answered with an error (HTTP %(code)s).")
                % {"code": response.status_code}
            )
        try:
            content = response.json()["choices"][0]["message"]["content"].strip()
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError(
                _("The assistant service sent an answer that could not be read.")
            ) from exc
        if not content:
            raise ProviderError(_("The assistant service sent an empty answer."))
        cited = {int(n) for n in re.findall(r"\[(\d{1,3})\]", content)}
        used = [p for p in passages if p.n in cited] or passages
        return Answer(content, [p.citation() for p in used])


def active_provider():
    """The provider chosen in the admin, or the offline one when none is active."""
    config = ProviderConfig.objects.filter(is_active=True).first()
    if config is not None and config.kind == ProviderKind.OPENAI:
        return OpenAICompatibleProvider(config)
    return KnowledgeProvider(config)
