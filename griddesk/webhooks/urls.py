from django.urls import path

from . import apis

urlpatterns = [
    path("webhooks/", apis.SubscriptionsApi.as_view(), name="webhooks"),
    path("webhooks/event-types/", apis.EventTypesApi.as_view(), name="webhook-event-types"),
    path("webhooks/<int:pk>/", apis.SubscriptionApi.as_view(), name="webhook"),
    path("webhooks/<int:pk>/deliveries/", apis.DeliveriesApi.as_view(), name="webhook-deliveries"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_id>/replay/", apis.DeliveryReplayApi.as_view(),
         name="webhook-delivery-replay"),
    path("webhooks/<int:pk>/rotate-secret/", apis.RotateSecretApi.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<int:pk>/replay/", apis.ReplayRangeApi.as_view(), name="webhook-replay"),
]
