"""The cases endpoints of the REST API (/api/v1/cases). Thin: find the client's own
case (404 for anything else), call a service or selector, answer."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ErrorSerializer, error_responses
from api.fields import NON_BLANK_TEXT_PATTERN
from api.idempotency import IDEMPOTENCY_KEY, REPLAYED, idempotent
from api.pagination import ChangedSinceCursorPagination
from api.permissions import api_client
from api.schema import RETRY_AFTER
from api.views import ApiView
from audit.constants import ObjectType
from audit.services import Audited, audit_view
from cases.constants import Stage
from cases.models import Case
from cases.selectors import (
    case_detail_for_force,
    case_for_force,
    case_messages,
    cases_changed_since,
)
from cases.serializers import (
    CaseDetailSerializer,
    CaseListQuerySerializer,
    CasePageSerializer,
    CaseSummarySerializer,
    CaseUpdateSerializer,
    CaseUpsertSerializer,
    StageChangeSerializer,
    TimelineEntrySerializer,
)
from cases.services import case_add_update, case_change_stage, case_upsert

REFERENCE = OpenApiParameter(
    "crime_reference",
    str,
    location=OpenApiParameter.PATH,
    description=(
        "The crime reference with its slashes left out or written as dashes, e.g. "
        "NS0123426 or NS-01234-26; spaces and letter case do not matter."
    ),
    pattern=r"^[A-Za-z0-9 \-]{1,40}$",
    examples=[OpenApiExample("A case", value="NS-01234-26")],
)


LOCATION = OpenApiParameter(
    "Location",
    str,
    location=OpenApiParameter.HEADER,
    response=[201],
    required=True,
    description="The new case's address in the API.",
)


PUSH_EXAMPLE = OpenApiExample(
    "A burglary with one victim",
    request_only=True,
    value={
        "crime_reference": "NS/01234/26",
        "offence_category": "burglary",
        "victim_description": "Burglary at your home",
        "reported_on": "2026-11-02",
        "update_interval_days": 14,
        "victims": [
            {
                "external_reference": "P-100234",
                "full_name": "Aisha Khan",
                "email": "aisha.khan@example.com",
                "mobile": "07400 123456",
                "preferred_language": "en",
                "contact_preference": "email_and_sms",
            }
        ],
    },
)
STAGE_EXAMPLE = OpenApiExample(
    "A suspect arrested",
    request_only=True,
    value={
        "stage": "suspect_arrested",
        "victim_text": "A man has been arrested and is being interviewed.",
    },
)
UPDATE_EXAMPLE = OpenApiExample(
    "News for the victims",
    request_only=True,
    value={"victim_text": "We have collected CCTV from the street."},
)


INVALID = "The request is not valid; see errors, by field."


def refusal_example(summary: str, errors: dict[str, list[str]]) -> OpenApiExample:
    return OpenApiExample(
        summary,
        value={"detail": INVALID, "code": "invalid", "errors": errors},
        response_only=True,
        status_codes=["400"],
    )


def refused_response(*examples: OpenApiExample) -> dict[int, OpenApiResponse]:
    """The 400 response, with examples of the rules the schema cannot state: they
    depend on the case as it is, the force's own format or the time of day. Every
    other rule (patterns, lengths, choices, which fields go together) is stated in
    the request's schema, and breaking it is a 400 too."""
    return {
        400: OpenApiResponse(
            ErrorSerializer,
            description=(
                "The request is not valid: `errors` says what is wrong with each "
                "field. Besides the rules in the request's schema, the examples "
                "show those that depend on the case or the time."
            ),
            examples=list(examples),
        )
    }


_IN_THE_FUTURE = refusal_example(
    "A time in the future",
    {"occurred_at": ["This cannot be in the future."]},
)
_BEFORE_REPORTED = refusal_example(
    "A time before the case was reported",
    {
        "occurred_at": [
            "This cannot be before the case was reported, on 2 November 2026."
        ]
    },
)
CASE_LIST_REFUSALS = refused_response(
    refusal_example(
        "A cursor the API did not give",
        {"cursor": ["This is not a cursor the API gave; start again without it."]},
    ),
)
CASE_UPSERT_REFUSALS = refused_response(
    refusal_example(
        "A reference in another format than the force's",
        {
            "crime_reference": [
                "Enter a crime reference number in this force's format, for "
                "example NS/01234/26."
            ]
        },
    ),
    refusal_example(
        "A safe channel with no address, for a victim with none on record",
        {
            "victims.0.mobile": [
                "Enter a mobile number, or choose other safe channels."
            ],
            "victims.0.email": [
                "Enter an email address, or choose other safe channels."
            ],
        },
    ),
    refusal_example(
        "Enhanced rights with no reason, for a victim with none on record",
        {
            "victims.0.enhanced_rights_reason": [
                "Say why this victim has enhanced rights."
            ]
        },
    ),
    refusal_example(
        "A number written right that does not exist",
        {"victims.0.mobile": ["Enter a valid phone number."]},
    ),
    refusal_example(
        "The same victim twice",
        {"victims": ["Give each victim once; repeated: P-100234."]},
    ),
)
STAGE_CHANGE_REFUSALS = refused_response(
    refusal_example(
        "A move to the stage the case is at",
        {"stage": ["The case is already at this stage."]},
    ),
    refusal_example(
        "A closed case moved anywhere but back to investigation",
        {"stage": ["A closed case can only be reopened, to 'Under investigation'."]},
    ),
    refusal_example(
        "A case with an outcome moved anywhere but to closed",
        {"stage": ["A case with an outcome can only be closed."]},
    ),
    _IN_THE_FUTURE,
    _BEFORE_REPORTED,
)
UPDATE_REFUSALS = refused_response(_IN_THE_FUTURE, _BEFORE_REPORTED)


def _not_found() -> NotFound:
    return NotFound(_("This force has no case with this crime reference."))


def _case_or_404(request: Request, crime_reference: str) -> Case:
    case = case_for_force(
        force=api_client(request).force, crime_reference=crime_reference
    )
    if case is None:
        raise _not_found()
    return case


class CaseDetailView(ApiView):
    @extend_schema(
        operation_id="case_read",
        summary="Read a case",
        description=(
            "The case with its victims, its whole timeline (including staff notes) "
            "and the messages sent to victims about it. Each read is recorded in "
            "the audit trail."
        ),
        parameters=[REFERENCE, RETRY_AFTER],
        responses={
            200: OpenApiResponse(CaseDetailSerializer, description="The case."),
            **error_responses(404),
        },
        tags=["cases"],
    )
    def get(self, request: Request, crime_reference: str) -> Response:
        client = api_client(request)
        case = case_detail_for_force(
            force=client.force, crime_reference=crime_reference
        )
        if case is None:
            raise _not_found()
        audit_view(
            actor=client,
            object_type=ObjectType.CASE,
            objects=[Audited(case.pk, case.force_id, case.pk)],
        )
        serializer = CaseDetailSerializer(
            case, context={"messages": case_messages(case=case)}
        )
        return Response(serializer.data)


class CaseCollectionView(ApiView):
    @extend_schema(
        operation_id="case_list",
        summary="List cases changed since a time",
        description=(
            "The force's cases in the order they last changed (details, stage or a "
            "visible update), oldest first, for synchronisation: follow `next` "
            "until it is null, and next time ask from a little before the last "
            "`updated_at` you saw (changes are listed from `updated_since` "
            "inclusive). Each case listed is recorded as read in the audit trail."
        ),
        parameters=[
            CaseListQuerySerializer,
            RETRY_AFTER,
        ],
        responses={
            200: OpenApiResponse(CasePageSerializer, description="A page of cases."),
            **error_responses(400),
            **CASE_LIST_REFUSALS,
        },
        tags=["cases"],
    )
    def get(self, request: Request) -> Response:
        # A plain dict: as a form, an empty value would count as left out.
        query = CaseListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        paginator = ChangedSinceCursorPagination()
        page = paginator.paginate_queryset(
            cases_changed_since(
                force=api_client(request).force,
                since=query.validated_data.get("updated_since"),
            ),
            request,
            view=self,
        )
        audit_view(
            actor=api_client(request),
            object_type=ObjectType.CASE,
            objects=[Audited(case.pk, case.force_id, case.pk) for case in page or []],
        )
        return paginator.get_paginated_response(
            CaseSummarySerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="case_upsert",
        summary="Push a case and its victims",
        description=(
            "Create the force's case with this crime reference, or bring it up to "
            "date: the same push twice changes nothing and records nothing. Victims "
            "are matched on `external_reference`; those left out stay on the case. "
            "The stage is not set here but with a stage change, which tells the "
            "victims. The whole push is one transaction: on any error nothing is "
            "written."
        ),
        request=CaseUpsertSerializer,
        examples=[PUSH_EXAMPLE],
        parameters=[IDEMPOTENCY_KEY, LOCATION, REPLAYED, RETRY_AFTER],
        responses={
            200: OpenApiResponse(
                CaseSummarySerializer, description="The case was there: updated."
            ),
            201: OpenApiResponse(CaseSummarySerializer, description="A new case."),
            **error_responses(400, 409, 413, 415, 422),
            **CASE_UPSERT_REFUSALS,
        },
        tags=["cases"],
    )
    @transaction.atomic
    @idempotent
    def post(self, request: Request) -> Response:
        serializer = CaseUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        case, created = case_upsert(
            force=api_client(request).force,
            crime_reference=details.pop("crime_reference"),
            victims=details.pop("victims", []),
            details=details,
            actor=api_client(request),
        )
        body = CaseSummarySerializer(case).data
        if created:
            return Response(body, status=201, headers={"Location": body["url"]})
        return Response(body)


class CaseStageChangeView(ApiView):
    @extend_schema(
        operation_id="case_change_stage",
        summary="Move a case to a new stage",
        description=(
            "Records the stage change on the timeline, tells the victims (on the "
            "channels they said are safe) and sets the Victims' Code deadline, "
            "exactly as a stage change in the back office does."
        ),
        request=StageChangeSerializer,
        examples=[STAGE_EXAMPLE],
        parameters=[REFERENCE, IDEMPOTENCY_KEY, REPLAYED, RETRY_AFTER],
        responses={
            201: OpenApiResponse(
                TimelineEntrySerializer, description="The new timeline entry."
            ),
            **error_responses(400, 404, 409, 413, 415, 422),
            **STAGE_CHANGE_REFUSALS,
        },
        tags=["cases"],
    )
    @transaction.atomic
    @idempotent
    def post(self, request: Request, crime_reference: str) -> Response:
        case = _case_or_404(request, crime_reference)
        serializer = StageChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = case_change_stage(
            case=case, actor=api_client(request), **serializer.validated_data
        )
        return Response(TimelineEntrySerializer(entry).data, status=201)


class CaseUpdateView(ApiView):
    @extend_schema(
        operation_id="case_add_update",
        summary="Add an update to a case",
        description=(
            "A visible update is told to the victims and restarts the agreed "
            "update interval; an update with visible_to_victim false is a note for "
            "staff only."
        ),
        request=CaseUpdateSerializer,
        examples=[UPDATE_EXAMPLE],
        parameters=[REFERENCE, IDEMPOTENCY_KEY, REPLAYED, RETRY_AFTER],
        responses={
            201: OpenApiResponse(
                TimelineEntrySerializer, description="The new timeline entry."
            ),
            **error_responses(400, 404, 409, 413, 415, 422),
            **UPDATE_REFUSALS,
        },
        tags=["cases"],
    )
    @transaction.atomic
    @idempotent
    def post(self, request: Request, crime_reference: str) -> Response:
        case = _case_or_404(request, crime_reference)
        serializer = CaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = case_add_update(
            case=case, actor=api_client(request), **serializer.validated_data
        )
        return Response(TimelineEntrySerializer(entry).data, status=201)


def state_which_fields_go_together(result, generator, request, public):
    """Say in the schema which fields go together, as the API checks them: an
    outcome only with the stage outcome and a closing reason only with closed (each
    needed there), and a visible update only with words for the victims."""
    schemas = result.get("components", {}).get("schemas", {})
    if stage_change := schemas.get("StageChangeRequest"):
        schemas["StageChangeRequest"] = _stage_change_variants(stage_change)
    if update := schemas.get("CaseUpdateRequest"):
        schemas["CaseUpdateRequest"] = _update_variants(update)
        # With no field required on its own, the body was optional; it is not.
        for operation in result["paths"].values():
            body = operation.get("post", {}).get("requestBody", {})
            if "CaseUpdateRequest" in str(body):
                body["required"] = True
    return result


def _variant(component: dict, *, leave_out=(), required=(), **properties) -> dict:
    kept = {
        name: value
        for name, value in component["properties"].items()
        if name not in leave_out
    }
    return {
        "type": "object",
        "properties": {**kept, **properties},
        "required": sorted({*component.get("required", []), *required}),
        "additionalProperties": False,
    }


def _stage_change_variants(component: dict) -> dict:
    closing = ("closing_reason", "closing_explanation")
    others = [
        stage for stage in Stage.values if stage not in (Stage.OUTCOME, Stage.CLOSED)
    ]
    stage = {
        key: value
        for key, value in component["properties"]["stage"].items()
        if key != "allOf"
    }
    return {
        "description": component.get("description", ""),
        "oneOf": [
            _variant(
                component,
                leave_out=("outcome", *closing),
                stage={**stage, "type": "string", "enum": others},
            ),
            _variant(
                component,
                leave_out=closing,
                required=("outcome",),
                stage={**stage, "type": "string", "enum": [Stage.OUTCOME]},
            ),
            _variant(
                component,
                leave_out=("outcome",),
                required=("closing_reason",),
                stage={**stage, "type": "string", "enum": [Stage.CLOSED]},
            ),
        ],
    }


def _update_variants(component: dict) -> dict:
    visible = component["properties"]["visible_to_victim"]
    words = {
        **component["properties"]["victim_text"],
        "pattern": NON_BLANK_TEXT_PATTERN,
    }
    note = {**component["properties"]["staff_note"], "pattern": NON_BLANK_TEXT_PATTERN}
    staff_only = {**visible, "enum": [False]}
    staff_only.pop("default", None)
    return {
        "description": component.get("description", ""),
        "anyOf": [
            _variant(
                component,
                required=("victim_text",),
                victim_text=words,
                visible_to_victim={**visible, "enum": [True]},
            ),
            _variant(
                component,
                required=("visible_to_victim", "victim_text"),
                victim_text=words,
                visible_to_victim=staff_only,
            ),
            _variant(
                component,
                required=("visible_to_victim", "staff_note"),
                staff_note=note,
                visible_to_victim=staff_only,
            ),
        ],
    }
