from django.urls import path  # noqa: F401

# Web pages under /opinion/ (namespace "opinion").
app_name = "opinion"
urlpatterns: list = []
