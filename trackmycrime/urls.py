from django.contrib import admin
from django.urls import include, path

from trackmycrime import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("", include("pages.urls")),
    path("", include("victims.urls")),
    path("", include("conversations.urls")),
    path("api/", include("api.urls")),
]
