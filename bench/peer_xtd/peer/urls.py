from articles import views
from django.urls import include, path

urlpatterns = [
    path("comments/", include("django_comments_xtd.urls")),
    path("", views.home, name="home"),
    path("<slug:slug>/", views.article_detail, name="article"),
]
