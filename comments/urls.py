from django.urls import path

from comments import views

app_name = "comments"
urlpatterns = [
    path("form-values/", views.form_values, name="form_values"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
