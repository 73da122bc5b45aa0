"""The Victims' Code requests endpoints of the REST API: the records system reads a
case's requests and records their outcomes, under the back office's rules."""

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.errors import NON_FIELD, error_responses
from api.idempotency import IDEMPOTENCY_KEY, REPLAYED, idempotent
from api.permissions import api_client
from api.schema import RETRY_AFTER
from api.views import ApiView
from audit.constants import ObjectType
from audit.services import Audited, audit_view
from cases.api import REFERENCE, refusal_example, refused_response
from cases.models import Case
from cases.selectors import case_for_force
from rights.models import RightRequest
from rights.serializers import (
    OutcomeSerializer,
    RightRequestRecordListSerializer,
    RightRequestRecordSerializer,
)
from rights.services import RequestRefused, request_assign, request_record_outcome

REQUEST_ID = OpenApiParameter(
    "request_id",
    int,
    location=OpenApiParameter.PATH,
    description="The request's id, as the list of the case's requests gives it.",
    examples=[OpenApiExample("A request", value=1)],
)


def _case_or_404(request: Request, crime_reference: str) -> Case:
    case = case_for_force(
        force=api_client(request).force, crime_reference=crime_reference
    )
    if case is None:
        raise NotFound("This force has no case with this crime reference.")
    return case


def _requests(case: Case):
    return RightRequest.objects.filter(case=case).select_related(
        "victim", "assigned_to", "support_service", "acknowledge_clock", "done_clock"
    )


class RightRequestListView(ApiView):
    @extend_schema(
        operation_id="right_request_list",
        summary="Read a case's Victims' Code requests",
        description=(
            "Every request the case's victims made under the Victims' Code (a "
            "review of a decision, a personal statement, a referral to support, a "
            "complaint), newest first, with its deadlines. Each request read is "
            "recorded in the audit trail."
        ),
        parameters=[REFERENCE, RETRY_AFTER],
        responses={
            200: OpenApiResponse(
                RightRequestRecordListSerializer, description="The requests."
            ),
            **error_responses(404),
        },
        tags=["requests"],
    )
    def get(self, request: Request, crime_reference: str) -> Response:
        case = _case_or_404(request, crime_reference)
        requests = list(_requests(case).order_by("-made_at", "-id"))
        audit_view(
            actor=api_client(request),
            object_type=ObjectType.RIGHT_REQUEST,
            objects=[
                Audited(r.pk, r.force_id, r.case_id, {"victim_id": r.victim_id})
                for r in requests
            ],
        )
        return Response(
            {"results": RightRequestRecordSerializer(requests, many=True).data}
        )


class RightRequestOutcomeView(ApiView):
    @extend_schema(
        operation_id="right_request_outcome",
        summary="Record how a victim's request ended",
        description=(
            "Records the outcome, as the back office does: the request's deadlines "
            "are met, the victim is told on their safe channels that there is an "
            "update (never what it is), and a review overturned reopens the "
            "investigation. A review is decided by a reviewer independent of the "
            "case: give reviewer_username if none was assigned in the back office."
        ),
        request=OutcomeSerializer,
        examples=[
            OpenApiExample(
                "A complaint answered",
                request_only=True,
                value={"outcome": "answered", "note": "We are sorry we did not call."},
            )
        ],
        parameters=[REFERENCE, REQUEST_ID, IDEMPOTENCY_KEY, REPLAYED, RETRY_AFTER],
        responses={
            200: OpenApiResponse(
                RightRequestRecordSerializer, description="The request, as it now is."
            ),
            **error_responses(400, 404, 409, 413, 415, 422),
            # What the schema cannot state: the request's kind, state and case.
            **refused_response(
                refusal_example(
                    "An outcome of another kind of request",
                    {"outcome": ["Choose an outcome for this kind of request."]},
                ),
                refusal_example(
                    "A request dealt with already",
                    {NON_FIELD: ["This request has been dealt with already."]},
                ),
                refusal_example(
                    "A review with no reviewer",
                    {
                        "reviewer_username": [
                            "Assign a reviewer before recording the decision."
                        ]
                    },
                ),
                refusal_example(
                    "A reviewer this force does not have",
                    {"reviewer_username": ["This force has no such officer."]},
                ),
            ),
        },
        tags=["requests"],
    )
    @transaction.atomic
    @idempotent
    def post(self, request: Request, crime_reference: str, request_id: int) -> Response:
        client = api_client(request)
        case = _case_or_404(request, crime_reference)
        right_request = _requests(case).filter(pk=request_id).first()
        if right_request is None:
            raise NotFound("This case has no request with this id.")
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if username := data.get("reviewer_username"):
                reviewer = User.objects.filter(
                    username=username, force_id=client.force_id, is_active=True
                ).first()
                if reviewer is None:
                    raise ValidationError(
                        {"reviewer_username": ["This force has no such officer."]}
                    )
                request_assign(request=right_request, reviewer=reviewer, actor=client)
            done = request_record_outcome(
                request=right_request,
                actor=client,
                outcome=data["outcome"],
                note=data.get("note", ""),
            )
        except RequestRefused as refused:
            # The back office's "assigned to" is the API's reviewer_username.
            field = (
                "reviewer_username"
                if refused.field == "assigned_to" or refused.code == "no_reviewer"
                else refused.field or NON_FIELD
            )
            raise ValidationError({field: refused.messages}) from None
        return Response(
            RightRequestRecordSerializer(_requests(case).get(pk=done.pk)).data
        )
