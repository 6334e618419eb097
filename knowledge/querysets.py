"""Reads for the knowledge base: who sees what (ARCHITECTURE rule 1) and search."""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from nexus.representation import prefetch_rows

from .choices import ArticleStatus, ArticleVisibility

EDIT_PERMISSION = "knowledge.change_article"


def can_edit_articles(user) -> bool:
    """Editors (staff with the change permission) also see drafts and archives."""
    return bool(
        user.is_authenticated and not user.is_portal and user.has_perm(EDIT_PERMISSION)
    )


def can_link_tickets(user) -> bool:
    """Staff who may change tickets (and read the KB) link articles to tickets."""
    return bool(
        user.is_authenticated
        and not user.is_portal
        and user.has_perm("tickets.change_ticket")
        and user.has_perm("knowledge.view_article")
    )


class CategoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if user.is_authenticated else self.none()

    def for_api(self):
        return self.select_related("parent")

    def for_list(self):
        return self.for_api()


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self if user.is_authenticated else self.none()

    def for_api(self):
        return self

    def for_list(self):
        return self


class ArticleQuerySet(models.QuerySet):
    # Set by search() on PostgreSQL: pages are then fetched tier by tier, counted
    # up to a cap, and highlighted row by row (knowledge.search).
    _search_tiers = None

    def _clone(self):
        clone = super()._clone()
        clone._search_tiers = self._search_tiers
        return clone

    def _fetch_all(self):
        if self._result_cache is None and self._search_tiers is not None:
            from .search import fetch_search_page

            self._result_cache = fetch_search_page(self)
        super()._fetch_all()

    def count(self):
        if self._search_tiers is None or self._result_cache is not None:
            return super().count()
        if self.query.low_mark or self.query.high_mark is not None:
            return super().count()
        from .search import count_search

        return count_search(self)

    def visible_to(self, user):
        """Editors: everything. Other staff: published articles of any visibility.
        Clients: published portal articles, and published company-limited articles
        of their own company."""
        if not user.is_authenticated:
            return self.none()
        if user.is_portal:
            from .models import Article

            own_company = Exists(
                Article.companies.through.objects.filter(
                    article_id=OuterRef("pk"), company_id=user.company_id
                )
            )
            return self.filter(status=ArticleStatus.PUBLISHED).filter(
                Q(visibility=ArticleVisibility.PORTAL)
                | (Q(visibility=ArticleVisibility.COMPANIES) & own_company)
            )
        if can_edit_articles(user):
            return self
        return self.filter(status=ArticleStatus.PUBLISHED)

    def published(self):
        return self.filter(status=ArticleStatus.PUBLISHED)

    # Relations are prefetched (one small query each for the page's rows) rather
    # than joined: a search sorts every matching article by rank before LIMIT,
    # and joins would be made for all of them first (a searched page joins its
    # foreign keys after all, see search.fetch_search_page). To-many relations
    # land in plain lists (`prefetched_tags`, … see nexus.representation).
    def for_api(self):
        from assets.models import Asset
        from companies.models import Company

        return self.prefetch_related(
            "category",
            "author",
            "owner",
            "published_version",
            "latest_version",
            prefetch_rows("tags"),
            prefetch_rows(
                "companies", Company.objects.only("id", "account_number", "name")
            ),
            prefetch_rows(
                "related_assets",
                Asset.objects.only("id", "company_id", "name", "hostname"),
            ),
        )

    def for_list(self):
        return self.prefetch_related("category", "author", "latest_version", "tags")

    def with_tickets_for(self, user):
        """Prefetch `related_tickets` as `user` may see them (a client: its own
        company's; scoped staff: their scope) into `prefetched_related_tickets`,
        so no page or API response lists a ticket its reader could not open."""
        from tickets.models import Ticket

        return self.prefetch_related(
            prefetch_rows(
                "related_tickets",
                Ticket.objects.visible_to(user)
                .only("pk", "number", "title", "status", "company_id")
                .order_by("-pk"),
            )
        )

    def linked_to_ticket(self, ticket):
        return self.filter(related_tickets=ticket)

    def search(self, text: str, *, mode: str = "all"):
        """Rows matching `text`, best first, annotated with `search_rank` (and
        `search_snippet` where the database can highlight). mode "all" needs every
        word; "any" needs one (the assistant's retrieval)."""
        from .search import search_queryset

        return search_queryset(self, text, mode=mode)


class ArticleVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Article

        if not can_edit_articles(user):
            return self.none()
        return self.filter(article__in=Article.objects.visible_to(user))

    def for_api(self):
        return self.select_related("author")

    def for_list(self):
        return self.select_related("article", "author")


class ArticleAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Article

        return self.filter(article__in=Article.objects.visible_to(user))

    def for_api(self):
        return self.select_related("uploaded_by")

    def for_list(self):
        return self.select_related("article", "uploaded_by")


class ArticleVoteQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class ProviderConfigQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        return self

    def for_list(self):
        return self


class AssistantSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A conversation belongs to the person who started it, and no one else."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def for_api(self):
        return self.select_related("user").prefetch_related("messages", "documents")

    def for_list(self):
        return self.select_related("user")


class AssistantMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(session__user=user)

    def for_list(self):
        return self.select_related("session__user")


class SessionDocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(session__user=user)

    def for_list(self):
        return self.select_related("session__user")
