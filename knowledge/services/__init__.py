"""Writes of the knowledge base (STYLE R6): one module per concern, re-exported
here."""

from .articles import (
    CONTENT_FIELDS,
    M2M_FIELDS,
    META_FIELDS,
    create_article,
    delete_article,
    publish_article,
    record_article_view,
    restore_article_version,
    suggest_articles,
    unique_slug,
    update_article,
    vote_article,
)
from .assistant import (
    MAX_QUESTION_CHARS,
    MAX_SESSION_DOCUMENTS,
    add_session_document,
    ask_assistant,
    extract_document_text,
    start_assistant_session,
)
from .attachments import (
    add_article_attachment,
    delete_attachment,
    extract_attachment_text,
)
from .links import (
    TICKET_EVENT_FIELD,
    TICKET_FIELD,
    link_article_to_ticket,
    set_article_tickets,
    unlink_article_from_ticket,
)

__all__ = [
    "CONTENT_FIELDS",
    "M2M_FIELDS",
    "MAX_QUESTION_CHARS",
    "MAX_SESSION_DOCUMENTS",
    "META_FIELDS",
    "TICKET_EVENT_FIELD",
    "TICKET_FIELD",
    "add_article_attachment",
    "add_session_document",
    "ask_assistant",
    "create_article",
    "delete_article",
    "delete_attachment",
    "extract_attachment_text",
    "extract_document_text",
    "link_article_to_ticket",
    "publish_article",
    "record_article_view",
    "restore_article_version",
    "set_article_tickets",
    "start_assistant_session",
    "suggest_articles",
    "unique_slug",
    "unlink_article_from_ticket",
    "update_article",
    "vote_article",
]
