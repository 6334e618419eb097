import factory

from accounts.tests.factories import UserFactory
from knowledge.choices import ArticleStatus, ArticleVisibility
from knowledge.models import Category, ProviderConfig, Tag
from knowledge.services import create_article


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(factory.Factory):
    """Builds articles through create_article, so each has its version 1."""

    class Meta:
        model = dict

    title = factory.Sequence(lambda n: f"Article number {n}")
    body = factory.Faker("paragraph", nb_sentences=5)
    summary = ""
    status = ArticleStatus.PUBLISHED
    visibility = ArticleVisibility.INTERNAL
    author = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_article(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return create_article(**kwargs)


class ProviderConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderConfig

    name = factory.Sequence(lambda n: f"Provider {n}")
