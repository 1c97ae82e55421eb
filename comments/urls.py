from django.urls import path

from comments import views

app_name = "comments"
urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
