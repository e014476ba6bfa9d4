from django.urls import path

from . import apis

urlpatterns = [
    path("center/endpoint/", apis.EndpointApi.as_view(), name="center-endpoint"),
    path("center/replies/", apis.RepliesApi.as_view(), name="center-replies"),
    path("center/replies/<int:pk>/ack", apis.ReplyAckApi.as_view(), name="center-reply-ack"),
    path("center/replies/<int:pk>/ack/", apis.ReplyAckApi.as_view()),
]
