from django.urls import path  # noqa: F401

# Web pages under /assessment/ (namespace "assessment").
app_name = "assessment"
urlpatterns: list = []
