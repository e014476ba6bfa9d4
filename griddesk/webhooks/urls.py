from django.urls import path

from . import apis

urlpatterns = [
    path("webhooks/", apis.SubscriptionsApi.as_view(), name="webhooks"),
    path("webhooks/event-types/", apis.EventTypesApi.as_view(), name="webhook-event-types"),
    path("webhooks/<int:pk>/", apis.SubscriptionApi.as_view(), name="webhook"),
]
