"""Writes of the assistant: sessions, their documents, questions and answers."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ExtractionStatus, MessageRole
from ..models import AssistantMessage, AssistantSession, SessionDocument
from ..uploads import safe_filename, validate_upload
from .attachments import _extract_into, _queue, initial_extraction_status

MAX_SESSION_DOCUMENTS = 10
MAX_QUESTION_CHARS = 4000


@transaction.atomic
def start_assistant_session(*, user, title: str = "") -> AssistantSession:
    """Open a new conversation for `user`."""
    return AssistantSession.objects.create(user=user, title=title.strip()[:200])


@transaction.atomic
def add_session_document(session: AssistantSession, *, upload) -> SessionDocument:
    """Store a checked file in a session and queue its text extraction."""
    if session.documents.count() >= MAX_SESSION_DOCUMENTS:
        raise ValidationError(
            {
                "file": _("A session holds at most %(n)s documents.")
                % {"n": MAX_SESSION_DOCUMENTS}
            }
        )
    kind = validate_upload(upload)
    document = SessionDocument(
        session=session,
        original_name=safe_filename(upload.name),
        content_type=kind.content_type,
        size=upload.size,
        extraction_status=initial_extraction_status(kind),
    )
    document.file.save(document.original_name, upload, save=False)
    document.save()
    if document.extraction_status == ExtractionStatus.PENDING:
        from ..tasks import extract_document_text_task

        transaction.on_commit(lambda: _queue(extract_document_text_task, document.pk))
    return document


@transaction.atomic
def extract_document_text(document: SessionDocument) -> SessionDocument:
    """Read an assistant session document's text; safe to run again."""
    _extract_into(document)
    document.save(update_fields=["text", "extraction_status", "extraction_error"])
    return document


def ask_assistant(session: AssistantSession, *, question: str) -> AssistantMessage:
    """Answer a question in a session and store both messages.

    Not one transaction: the provider may take many seconds over HTTP, and a
    database transaction must not stay open that long. Nothing is stored when the
    provider fails (ProviderError reaches the caller)."""
    from ..assistant import active_provider, retrieve_passages

    question = (question or "").strip()
    if not question:
        raise ValidationError({"content": _("Ask a question.")})
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            {
                "content": _("Keep the question under %(n)s characters.")
                % {"n": MAX_QUESTION_CHARS}
            }
        )
    provider = active_provider()
    limit = provider.config.max_passages if provider.config else 5
    passages = retrieve_passages(
        question, user=session.user, session=session, limit=limit
    )
    history = [
        {"role": m.role, "content": m.content}
        for m in session.messages.order_by("-id")[:8]
    ][::-1]
    answer = provider.answer(question, passages, history)
    return _store_exchange(
        session,
        question=question,
        answer=answer.content,
        citations=answer.citations,
        provider=provider.config.name if provider.config else provider.name,
    )


@transaction.atomic
def _store_exchange(
    session, *, question, answer, citations, provider
) -> AssistantMessage:
    AssistantMessage.objects.create(
        session=session, role=MessageRole.USER, content=question
    )
    reply = AssistantMessage.objects.create(
        session=session,
        role=MessageRole.ASSISTANT,
        content=answer,
        citations=citations,
        provider=provider[:100],
    )
    fields = {"updated_at": timezone.now()}
    if not session.title:
        fields["title"] = session.title = question[:200]
    AssistantSession.objects.filter(pk=session.pk).update(**fields)
    return reply
