from django.urls import path

from . import views

# Web pages under /satisfaction/ (namespace "satisfaction").
app_name = "satisfaction"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compute/", views.compute, name="compute"),
    path("responses/", views.responses, name="responses"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("report.pdf", views.export_pdf, name="export-pdf"),
    path("weights/", views.weights, name="weights"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("visits/<int:pk>/record/", views.visit_record, name="visit-record"),
]
