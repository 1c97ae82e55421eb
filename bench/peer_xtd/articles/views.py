from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from articles.models import Article


def home(request):
    return HttpResponse("peer")


def article_detail(request, slug):
    article = get_object_or_404(Article, slug=slug)
    return render(request, "articles/article_detail.html", {"article": article})
