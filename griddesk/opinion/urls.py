from django.urls import path

from . import apis

# API routes under /api/v1/ for this app.
urlpatterns = [
    path("opinion/items/", apis.ItemIntakeApi.as_view(), name="opinion-items"),
    path("opinion/items/bulk/", apis.ItemIntakeApi.as_view(), name="opinion-items-bulk"),
    path("opinion/items/import/", apis.ItemImportApi.as_view(), name="opinion-items-import"),
    path("opinion/stories/", apis.StoryListApi.as_view(), name="opinion-stories"),
    path("opinion/stories/<int:story_id>/", apis.StoryDetailApi.as_view(), name="opinion-story"),
    path("opinion/stories/<int:story_id>/actions/", apis.StoryActionApi.as_view(), name="opinion-story-actions"),
    path("opinion/emergencies/<int:response_id>/actions/", apis.EmergencyActionApi.as_view(), name="opinion-emergency-actions"),
]
