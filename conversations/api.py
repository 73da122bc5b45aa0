"""The conversations endpoints of the REST API: the records system reads a case's
conversations and posts an officer's reply, under the back office's rules."""

from django.db import transaction
from django.db.models import Prefetch
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
from api.errors import error_responses
from api.idempotency import IDEMPOTENCY_KEY, REPLAYED, idempotent
from api.permissions import api_client
from api.schema import RETRY_AFTER
from api.views import ApiView
from cases.api import REFERENCE, refusal_example, refused_response
from cases.models import Case
from cases.selectors import case_for_force
from conversations.models import Conversation, Message
from conversations.serializers import (
    ConversationListSerializer,
    ConversationMessageSerializer,
    ConversationSerializer,
    ReplySerializer,
)
from conversations.services import message_send_by_staff, messages_read
from victims.models import CaseVictim


def _case_or_404(request: Request, crime_reference: str) -> Case:
    case = case_for_force(
        force=api_client(request).force, crime_reference=crime_reference
    )
    if case is None:
        raise NotFound("This force has no case with this crime reference.")
    return case


VICTIM_REFERENCE = OpenApiParameter(
    "victim_reference",
    str,
    location=OpenApiParameter.PATH,
    description="The victim's id in the records system (external_reference).",
    pattern=r"^[A-Za-z0-9._\-]{1,64}$",
    examples=[OpenApiExample("A victim", value="P-100234")],
)


class ConversationListView(ApiView):
    @extend_schema(
        operation_id="conversation_list",
        summary="Read a case's conversations",
        description=(
            "Every victim's conversation with the police on the case, each message "
            "oldest first, with its reply deadline and whether it was answered. "
            "Each message read is recorded in the audit trail."
        ),
        parameters=[REFERENCE, RETRY_AFTER],
        responses={
            200: OpenApiResponse(
                ConversationListSerializer, description="The conversations."
            ),
            **error_responses(404),
        },
        tags=["conversations"],
    )
    def get(self, request: Request, crime_reference: str) -> Response:
        client = api_client(request)
        case = _case_or_404(request, crime_reference)
        conversations = list(
            Conversation.objects.filter(case=case)
            .select_related("victim")
            .prefetch_related(
                Prefetch(
                    "messages",
                    queryset=Message.objects.select_related("force").order_by(
                        "sent_at", "id"
                    ),
                )
            )
            .order_by("id")
        )
        messages_read(
            actor=client,
            reads=[(c, list(c.messages.all())) for c in conversations],
            by_victim=False,
        )
        return Response(
            {"results": ConversationSerializer(conversations, many=True).data}
        )


class ConversationReplyView(ApiView):
    @extend_schema(
        operation_id="conversation_reply",
        summary="Post a message to a victim",
        description=(
            "Writes a message from the police to one victim on the case, as a reply "
            "in the back office does: it answers their waiting messages, and the "
            "victim is told on their safe channels that there is a new message (never "
            "its text). Refused while the conversation is paused for safeguarding."
        ),
        request=ReplySerializer,
        examples=[
            OpenApiExample(
                "A reply",
                request_only=True,
                value={"text": "We have the CCTV now.", "officer_username": "jevans"},
            )
        ],
        parameters=[
            REFERENCE,
            VICTIM_REFERENCE,
            IDEMPOTENCY_KEY,
            REPLAYED,
            RETRY_AFTER,
        ],
        responses={
            201: OpenApiResponse(
                ConversationMessageSerializer, description="The message written."
            ),
            **error_responses(400, 404, 409, 413, 415, 422),
            # What the request's schema cannot state: who the force's officers are.
            **refused_response(
                refusal_example(
                    "An officer this force does not have",
                    {"officer_username": ["This force has no such officer."]},
                )
            ),
        },
        tags=["conversations"],
    )
    @transaction.atomic
    @idempotent
    def post(
        self, request: Request, crime_reference: str, victim_reference: str
    ) -> Response:
        client = api_client(request)
        case = _case_or_404(request, crime_reference)
        link = (
            CaseVictim.objects.filter(
                case=case, victim__external_reference=victim_reference
            )
            .exclude(victim__external_reference="")
            .first()
        )
        if link is None:
            raise NotFound("This case has no victim with this reference.")
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        officer = None
        if username := serializer.validated_data.get("officer_username"):
            officer = User.objects.filter(
                username=username, force_id=client.force_id, is_active=True
            ).first()
            if officer is None:
                raise ValidationError(
                    {"officer_username": ["This force has no such officer."]}
                )
        message = message_send_by_staff(
            case=case,
            victim_id=link.victim_id,
            text=serializer.validated_data["text"],
            actor=client,
            officer=officer,
        )
        return Response(ConversationMessageSerializer(message).data, status=201)
