import pytest

from knowledge import demo
from knowledge.models import Article, Category

pytestmark = pytest.mark.django_db


def test_demo_loads_and_is_idempotent(admin_user):
    demo.load()
    articles, categories = Article.objects.count(), Category.objects.count()
    assert articles == len(demo.ARTICLES) and categories == len(demo.CATEGORIES)
    assert Article.objects.filter(visibility="portal", status="published").exists()
    assert Article.objects.filter(visibility="internal").exists()
    demo.load()
    assert (Article.objects.count(), Category.objects.count()) == (articles, categories)
