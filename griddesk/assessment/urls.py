from django.urls import path

from . import apis

# API routes under /api/v1/ for this app.
urlpatterns = [
    path("assessment/scorecards/", apis.ScorecardApi.as_view(), name="assessment-scorecards"),
    path("assessment/training-flags/", apis.TrainingFlagsApi.as_view(), name="assessment-training-flags"),
    path("assessment/orders/<str:number>/", apis.OrderAssessmentApi.as_view(), name="assessment-order"),
    path("archive/search/", apis.ArchiveSearchApi.as_view(), name="archive-search"),
    path("archive/export/", apis.ArchiveExportApi.as_view(), name="archive-export"),
    path("archive/<str:number>/corrections/", apis.ArchiveCorrectionApi.as_view(), name="archive-corrections"),
]
