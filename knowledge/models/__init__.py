from .articles import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    ArticleVote,
    Category,
    SearchWord,
    Tag,
)
from .assistant import (
    AssistantMessage,
    AssistantSession,
    ProviderConfig,
    SessionDocument,
)

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleVersion",
    "ArticleVote",
    "AssistantMessage",
    "AssistantSession",
    "Category",
    "ProviderConfig",
    "SearchWord",
    "SessionDocument",
    "Tag",
]
