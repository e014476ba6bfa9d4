from django.urls import path, re_path

from griddesk.customers.apis import CustomerDetailApi

from . import apis, clock_apis
from .reference_apis import ReferenceApi

urlpatterns = [
    path("reference/", ReferenceApi.as_view(), name="reference"),
    path("customers/<str:account_no>/", CustomerDetailApi.as_view(), name="customer"),
    path("work-orders/", apis.WorkOrderListCreateApi.as_view(), name="work-orders"),
    path("work-orders/bulk/", apis.WorkOrderBulkApi.as_view(), name="work-orders-bulk"),
    path("work-orders/<str:number>/", apis.WorkOrderDetailApi.as_view(), name="work-order"),
    path("work-orders/<str:number>/actions/", apis.WorkOrderActionApi.as_view(), name="work-order-actions"),
    path("work-orders/<str:number>/events/", apis.WorkOrderEventsApi.as_view(), name="work-order-events"),
    path("work-orders/<str:number>/comments/", apis.WorkOrderCommentsApi.as_view(), name="work-order-comments"),
    # The order clock's deadline look-up (its path under sla/ as documented; without
    # the trailing slash as the issue wrote it, or with).
    re_path(r"^sla/deadline/?$", clock_apis.DeadlineApi.as_view(), name="sla-deadline"),
]
