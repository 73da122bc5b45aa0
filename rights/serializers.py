"""What the API shows of victims' Victims' Code requests and takes for an outcome;
every rule is the services' (rights.services)."""

from rest_framework import serializers

from api.fields import (
    BlankAsNullChoiceField,
    StrictCharField,
    StrictChoiceField,
    StrictSerializer,
)
from rights.constants import TEXT_MAX_LENGTH, RequestOutcome
from rights.models import RightRequest


class RightRequestRecordSerializer(serializers.ModelSerializer):
    victim_reference = serializers.SerializerMethodField(
        help_text="The victim's id in the records system (null if it gave none)."
    )
    text = serializers.CharField(
        help_text="The victim's own words (a review or a complaint); plain text."
    )
    details = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The kind's own answers, e.g. a personal statement's read-aloud "
        "choice and when the victim is free.",
    )
    support_service = serializers.SerializerMethodField(
        help_text="The local support service chosen, for a referral; null if none."
    )
    assigned_to = serializers.SerializerMethodField(
        help_text="The back-office username of who is dealing with it; null if "
        "nobody yet."
    )
    outcome = BlankAsNullChoiceField(choices=RequestOutcome.choices)
    acknowledge_by = serializers.DateTimeField(
        source="acknowledge_clock.deadline",
        allow_null=True,
        help_text="The Code's deadline to acknowledge it (or, for a personal "
        "statement, to contact the victim); null if it has none.",
    )
    done_by = serializers.DateTimeField(
        source="done_clock.deadline",
        allow_null=True,
        help_text="The Code's deadline to deal with it; null if it has none.",
    )

    class Meta:
        model = RightRequest
        fields = [
            "id",
            "kind",
            "status",
            "victim_reference",
            "made_at",
            "text",
            "reply_channel",
            "details",
            "support_service",
            "assigned_to",
            "acknowledge_by",
            "acknowledged_at",
            "done_by",
            "done_at",
            "outcome",
            "outcome_note",
        ]
        read_only_fields = fields

    def get_victim_reference(self, request: RightRequest) -> str | None:
        return request.victim.external_reference or None

    def get_support_service(self, request: RightRequest) -> str | None:
        return request.support_service.name if request.support_service else None

    def get_assigned_to(self, request: RightRequest) -> str | None:
        return request.assigned_to.username if request.assigned_to else None


class RightRequestRecordListSerializer(serializers.Serializer):
    results = RightRequestRecordSerializer(many=True)


class OutcomeSerializer(StrictSerializer):
    """How a request ended, recorded in the records system."""

    outcome = StrictChoiceField(
        choices=RequestOutcome.choices,
        help_text="One of the request's kind: a review is upheld or overturned "
        "(overturned reopens the investigation); a personal statement "
        "statement_taken; a referral referred; a complaint answered.",
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="What the victim is told of it, in the portal only (messages say "
        "only that there is an update).",
    )
    reviewer_username = StrictCharField(
        required=False,
        max_length=150,
        help_text="For a review not yet assigned in the back office: the username "
        "of the reviewer who decided it, who must not be the officer who made the "
        "decision, nor the officer in charge.",
    )
