import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import ArticleStatus, ArticleVisibility
from ..models import Article, Category, Tag


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_nothing",
        label=_("Search"),
        help_text=_("Full-text search; results are ordered by relevance."),
    )
    category = django_filters.NumberFilter(
        method="filter_category",
        label=_("Category"),
        help_text=_("A category id; its subcategories are included."),
    )
    tag = django_filters.CharFilter(
        field_name="tags__slug", label=_("Tag"), help_text=_("A tag slug.")
    )
    status = django_filters.MultipleChoiceFilter(choices=ArticleStatus.choices)
    visibility = django_filters.MultipleChoiceFilter(choices=ArticleVisibility.choices)
    company = django_filters.NumberFilter(field_name="companies", label=_("Company"))

    class Meta:
        model = Article
        fields = {
            "author": ["exact"],
            "owner": ["exact"],
            "review_by": ["lte", "gte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_nothing(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_category(self, queryset, name, value):
        category = Category.objects.filter(pk=value).first()
        if category is None:
            return queryset.none()
        return queryset.filter(category_id__in=category.descendant_ids())

    def filter_queryset(self, queryset):
        # Search runs after the other filters, so its typo fallback only kicks in
        # when nothing within the filtered set matches.
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        return queryset.search(text) if text else queryset


class CategoryFilterSet(django_filters.FilterSet):
    class Meta:
        model = Category
        fields = {"parent": ["exact", "isnull"], "slug": ["exact"]}


class TagFilterSet(django_filters.FilterSet):
    class Meta:
        model = Tag
        fields = {"slug": ["exact"], "name": ["icontains"]}
