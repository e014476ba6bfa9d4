from django.urls import path

from . import apis

urlpatterns = [
    path("work-orders/<str:number>/attachments/", apis.AttachmentListCreateApi.as_view(), name="work-order-attachments"),
    path("attachments/<int:pk>/content", apis.AttachmentContentApi.as_view(), name="attachment-content"),
    path("attachments/<int:pk>/thumbnail", apis.AttachmentThumbnailApi.as_view(), name="attachment-thumbnail"),
]
