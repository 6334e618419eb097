from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("new/", views.article_create, name="article_create"),
    path("preview/", views.preview, name="preview"),
    path("suggest/", views.suggest, name="suggest"),
    path("tickets/<str:number>/link/", views.ticket_link, name="ticket_link"),
    path("tickets/<str:number>/unlink/", views.ticket_unlink, name="ticket_unlink"),
    path("categories/<str:slug>/", views.category_detail, name="category_detail"),
    path("articles/<str:slug>/", views.article_detail, name="article_detail"),
    path("articles/<str:slug>/edit/", views.article_edit, name="article_edit"),
    path("articles/<str:slug>/history/", views.article_history, name="article_history"),
    path("articles/<str:slug>/diff/", views.article_diff, name="article_diff"),
    path("articles/<str:slug>/restore/", views.article_restore, name="article_restore"),
    path("articles/<str:slug>/publish/", views.article_publish, name="article_publish"),
    path("articles/<str:slug>/vote/", views.article_vote, name="article_vote"),
    path(
        "articles/<str:slug>/attachments/",
        views.attachment_upload,
        name="attachment_upload",
    ),
    path(
        "attachments/<int:pk>/", views.attachment_download, name="attachment_download"
    ),
    path("assistant/", views.assistant, name="assistant"),
    path("assistant/<int:pk>/", views.assistant_session, name="assistant_session"),
    path("assistant/<int:pk>/ask/", views.assistant_ask, name="assistant_ask"),
    path(
        "assistant/<int:pk>/documents/",
        views.assistant_document,
        name="assistant_document",
    ),
]
