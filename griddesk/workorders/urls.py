from django.urls import path

from . import apis

urlpatterns = [
    path("work-orders/", apis.WorkOrderListCreateApi.as_view(), name="work-orders"),
    path("work-orders/bulk/", apis.WorkOrderBulkApi.as_view(), name="work-orders-bulk"),
    path("work-orders/<str:number>/", apis.WorkOrderDetailApi.as_view(), name="work-order"),
    path("work-orders/<str:number>/actions/", apis.WorkOrderActionApi.as_view(), name="work-order-actions"),
    path("work-orders/<str:number>/events/", apis.WorkOrderEventsApi.as_view(), name="work-order-events"),
]
