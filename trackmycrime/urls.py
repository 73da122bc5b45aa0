from django.contrib import admin
from django.urls import include, path

from trackmycrime import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("notifications/", include("notifications.urls")),
    path("", include("pages.urls")),
    path("", include("victims.urls")),
    path("", include("feedback.urls")),
    path("", include("conversations.urls")),
    path("", include("rights.urls")),
    path("api/", include("api.urls")),
]

# An outage (PostgreSQL or Redis away) met anywhere is a calm 503, not a 500.
handler500 = "trackmycrime.outages.server_error"
