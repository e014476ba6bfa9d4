from django.urls import path

from . import views

# Web pages under /opinion/ (namespace "opinion").
app_name = "opinion"
urlpatterns = [
    path("", views.board, name="board"),
    path("stories/<int:story_id>/", views.story_detail, name="story"),
    path("stories/<int:story_id>/act/", views.story_act, name="story-act"),
    path("emergencies/<int:response_id>/act/", views.emergency_act, name="emergency-act"),
    path("new/", views.finding_new, name="finding-new"),
    path("import/", views.import_items, name="import"),
]
