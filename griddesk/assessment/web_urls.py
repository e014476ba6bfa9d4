from django.urls import path

from . import views

# Web pages under /assessment/ (namespace "assessment").
app_name = "assessment"
urlpatterns = [
    path("", views.dashboard, name="home"),
    path("orders/", views.orders, name="orders"),
    path("training/", views.training, name="training"),
    path("export/<slug:table>.xlsx", views.export, name="export"),
    path("report.pdf", views.report_pdf, name="report"),
]
