from django.urls import path  # noqa: F401

# API routes under /api/v1/ for this app.
urlpatterns: list = []
