from django.urls import path  # noqa: F401

# Web pages under /satisfaction/ (namespace "satisfaction").
app_name = "satisfaction"
urlpatterns: list = []
