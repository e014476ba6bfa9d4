from django.urls import path

from . import apis

urlpatterns = [
    path("inbox/", apis.InboxApi.as_view(), name="inbox"),
    path("inbox/<int:pk>/read/", apis.InboxReadApi.as_view(), name="inbox-read"),
]
