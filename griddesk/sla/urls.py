from django.urls import path

from . import apis

urlpatterns = [
    path("calendar/overrides/", apis.CalendarOverridesApi.as_view(), name="calendar-overrides"),
    path("calendar/overrides/<str:day>/", apis.CalendarOverrideDetailApi.as_view(), name="calendar-override"),
    path("calendar/<int:year>/", apis.CalendarYearApi.as_view(), name="calendar-year"),
    path("calendar/<int:year>/confirm/", apis.CalendarYearConfirmApi.as_view(), name="calendar-year-confirm"),
    # sla/deadline (the order clock's look-up) is in workorders.urls.
]
