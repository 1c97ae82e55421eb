from django.urls import path, register_converter

from posts import views


class FourDigitYear:
    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:04d}"


class TwoDigitMonth:
    regex = "0[1-9]|1[0-2]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{value:02d}"


register_converter(FourDigitYear, "yyyy")
register_converter(TwoDigitMonth, "mm")

app_name = "posts"
urlpatterns = [
    path("", views.post_list, name="list"),
    # str, not slug: slugs keep non-ASCII letters ("échafaud").
    path("<yyyy:year>/<mm:month>/<str:slug>/", views.post_detail, name="detail"),
]
