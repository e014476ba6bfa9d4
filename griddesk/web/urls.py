from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/new/customer-card/", views.order_customer_card, name="order-customer-card"),
    path("orders/<str:number>/", views.order_detail, name="order"),
    path("orders/<str:number>/actions/", views.order_act, name="order-act"),
    path("orders/<str:number>/attachments/", views.order_attach, name="order-attach"),
    path("orders/<str:number>/comments/", views.order_comment, name="order-comment"),
    path("orders/<str:number>/print/", views.order_print, name="order-print"),
    path("queue/filters/", views.queue_filter_save, name="queue-filter-save"),
    path("queue/filters/<int:pk>/delete/", views.queue_filter_delete, name="queue-filter-delete"),
]
