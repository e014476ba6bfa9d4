from django.urls import path

from . import apis

# API routes under /api/v1/ for this app.
urlpatterns = [
    path("return-visits/", apis.VisitTaskListApi.as_view(), name="return-visits"),
    path("return-visits/<int:pk>/", apis.VisitTaskDetailApi.as_view(), name="return-visit"),
    path("return-visits/<int:pk>/attempts/", apis.VisitAttemptApi.as_view(), name="return-visit-attempts"),
    path("return-visits/<int:pk>/outcome/", apis.VisitOutcomeApi.as_view(), name="return-visit-outcome"),
    path("satisfaction/visit-rates/", apis.VisitRatesApi.as_view(), name="satisfaction-visit-rates"),
    path("satisfaction/questionnaires/", apis.QuestionnaireListApi.as_view(), name="satisfaction-questionnaires"),
    path("satisfaction/questionnaires/<slug:code>/", apis.QuestionnaireDetailApi.as_view(), name="satisfaction-questionnaire"),
    path("satisfaction/questionnaires/<slug:code>/responses/", apis.ResponsesApi.as_view(), name="satisfaction-responses"),
    path("satisfaction/questionnaires/<slug:code>/import/", apis.ResponsesImportApi.as_view(), name="satisfaction-import"),
    path("satisfaction/index/", apis.IndexApi.as_view(), name="satisfaction-index"),
    path("satisfaction/ahp/", apis.AhpApi.as_view(), name="satisfaction-ahp"),
    path("satisfaction/fuzzy/", apis.FuzzyApi.as_view(), name="satisfaction-fuzzy"),
]
