from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.errors import not_found
from cases import api as cases_api
from conversations import api as conversations_api
from rights import api as rights_api

app_name = "api"

urlpatterns = [
    path("v1/cases", cases_api.CaseCollectionView.as_view(), name="cases"),
    path(
        "v1/cases/<str:crime_reference>",
        cases_api.CaseDetailView.as_view(),
        name="case-detail",
    ),
    path(
        "v1/cases/<str:crime_reference>/stage-changes",
        cases_api.CaseStageChangeView.as_view(),
        name="case-stage-changes",
    ),
    path(
        "v1/cases/<str:crime_reference>/updates",
        cases_api.CaseUpdateView.as_view(),
        name="case-updates",
    ),
    path(
        "v1/cases/<str:crime_reference>/conversations",
        conversations_api.ConversationListView.as_view(),
        name="case-conversations",
    ),
    path(
        "v1/cases/<str:crime_reference>/conversations/<str:victim_reference>/messages",
        conversations_api.ConversationReplyView.as_view(),
        name="case-conversation-messages",
    ),
    path(
        "v1/cases/<str:crime_reference>/requests",
        rights_api.RightRequestListView.as_view(),
        name="case-requests",
    ),
    path(
        "v1/cases/<str:crime_reference>/requests/<int:request_id>/outcome",
        rights_api.RightRequestOutcomeView.as_view(),
        name="case-request-outcome",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"", not_found),
]
