from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from griddesk.common.health import healthz

# The admin names the product, not the framework ("Django 管理").
admin.site.site_header = _("GridDesk administration")
admin.site.site_title = _("GridDesk administration")
admin.site.index_title = _("Rules, reference data and logs")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("griddesk.workorders.urls")),
    path("api/v1/", include("griddesk.sla.urls")),
    path("api/v1/", include("griddesk.notifications.urls")),
    path("api/v1/", include("griddesk.opinion.urls")),
    path("api/v1/", include("griddesk.satisfaction.urls")),
    path("api/v1/", include("griddesk.assessment.urls")),
    path("api/v1/", include("griddesk.attachments.urls")),
    path("api/v1/", include("griddesk.webhooks.urls")),
    path("api/v1/", include("griddesk.center.urls")),
    path("imports/", include("griddesk.imports.urls")),
    path("opinion/", include("griddesk.opinion.web_urls")),
    path("satisfaction/", include("griddesk.satisfaction.web_urls")),
    path("assessment/", include("griddesk.assessment.web_urls")),
    path("inbox/", include("griddesk.notifications.web_urls")),
    path("", include("griddesk.web.urls")),
]

handler404 = "griddesk.common.errors.not_found_view"
handler500 = "griddesk.common.middleware.server_error"
