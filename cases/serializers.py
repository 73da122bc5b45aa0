"""The shapes of cases in the API. Serializers check and describe data; every change
is made by cases/services.py and victims/services.py."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    BlankAsNullCharField,
    BlankAsNullChoiceField,
    PatternCharField,
    QueryIntegerField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictIntegerField,
    StrictSerializer,
    text_pattern_with_more_than,
)
from api.pagination import ChangedSinceCursorPagination
from cases.constants import ClosingReason, OffenceCategory, Outcome, Stage
from cases.models import Case, TimelineEntry
from notifications.constants import NotificationStatus
from victims.constants import Channel
from victims.serializers import VictimSerializer, VictimUpsertSerializer

MAX_VICTIMS_PER_PUSH = 50
# A crime reference is looked up with its spaces, slashes and dashes left out, so it
# needs something else; each force's own format is checked on top
# (Force.crime_reference_error), and no schema shared by every force can state it.
CRIME_REFERENCE_PATTERN = text_pattern_with_more_than("/\\-")


class TimelineEntrySerializer(serializers.ModelSerializer):
    stage = BlankAsNullChoiceField(
        choices=Stage.choices, help_text="The stage moved to, for a stage change."
    )
    recorded_by = serializers.CharField(
        source="recorded_by_label",
        read_only=True,
        help_text="Who recorded it: a member of staff, or an API client.",
    )

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "kind",
            "stage",
            "victim_text",
            "staff_note",
            "visible_to_victim",
            "occurred_at",
            "recorded_at",
            "recorded_by",
            "code_deadline",
        ]
        read_only_fields = fields


class MessageSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(
        read_only=True, help_text="When the change that caused the message was made."
    )
    sent_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the message is sent."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=NotificationStatus.choices,
        read_only=True,
        help_text="What became of the message. New values may be added.",
    )


class CaseSummarySerializer(serializers.ModelSerializer):
    reference_key = serializers.CharField(
        source="crime_reference_normalised",
        read_only=True,
        help_text="The crime reference as used in URLs: capitals, no spaces, "
        "slashes or dashes.",
    )
    url = serializers.SerializerMethodField(help_text="This case's address in the API.")
    outcome = BlankAsNullChoiceField(choices=Outcome.choices)
    closing_reason = BlankAsNullChoiceField(choices=ClosingReason.choices)

    class Meta:
        model = Case
        fields = [
            "crime_reference",
            "reference_key",
            "url",
            "offence_category",
            "victim_description",
            "stage",
            "outcome",
            "closing_reason",
            "reported_on",
            "update_interval_days",
            "update_interval_agreed_days",
            "update_interval_agreed_at",
            "next_update_due",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "update_interval_agreed_days": {
                "help_text": "Right 6: the interval (days) the victims agreed in "
                "the portal, the shortest if several did; null if none has. Where "
                "it differs from update_interval_days, staff changed it since. A "
                "push does not change an agreed interval."
            },
            "update_interval_agreed_at": {
                "help_text": "When a victim last agreed the interval in the portal."
            },
        }

    def get_url(self, case: Case) -> str:
        return reverse("api:case-detail", args=[case.crime_reference_normalised])


class CaseDetailSerializer(CaseSummarySerializer):
    closing_explanation = serializers.CharField(read_only=True)
    officer_in_charge = BlankAsNullCharField(
        source="officer_in_charge.display_name",
        default=None,
        help_text="The officer's name and rank, if one is in charge.",
    )
    right_to_review_applies = serializers.BooleanField(read_only=True)
    victims = VictimSerializer(many=True, read_only=True)
    timeline = TimelineEntrySerializer(
        many=True, read_only=True, help_text="Newest first."
    )
    messages = serializers.SerializerMethodField(
        help_text="Messages sent to the victims about this case, newest first."
    )

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "closing_explanation",
            "officer_in_charge",
            "suspect_interviewed",
            "right_to_review_applies",
            "victims",
            "timeline",
            "messages",
        ]
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, case: Case) -> list:
        return list(MessageSerializer(self.context["messages"], many=True).data)


class CaseUpsertSerializer(StrictSerializer):
    """A case as the force's records system pushes it, keyed by crime reference."""

    unknown_field_messages = {
        "stage": "The stage changes with POST /api/v1/cases/{crime_reference}/"
        "stage-changes, which tells the victims.",
    }

    crime_reference = PatternCharField(
        max_length=40,
        pattern=CRIME_REFERENCE_PATTERN,
        pattern_message="Enter a crime reference number: more than spaces, "
        "slashes and dashes.",
        help_text="As the force writes it, in its own format, e.g. NS/01234/26. "
        "It must match the force's own format, which this schema, shared by every "
        "force, cannot state: a reference in another format is a 400. It is the "
        "key: a case with the same reference (spaces, slashes, dashes and letter "
        "case aside) is updated.",
    )
    offence_category = StrictChoiceField(choices=OffenceCategory.choices)
    victim_description = StrictCharField(
        max_length=200,
        help_text="What the victim reported, in their terms, e.g. 'Burglary at "
        "your home'. Victims see it.",
    )
    reported_on = StrictDateField(required=False)
    update_interval_days = StrictIntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="How often, in days, the victims agreed to hear from the police. "
        "Ignored once a victim has agreed an interval in the portal "
        "(update_interval_agreed_days), which a push does not undo.",
    )
    victims = serializers.ListField(
        child=VictimUpsertSerializer(),
        required=False,
        max_length=MAX_VICTIMS_PER_PUSH,
        help_text="Added to the case, or updated, by external_reference. Victims "
        "left out stay on the case.",
    )

    def validate_victims(self, victims: list[dict]) -> list[dict]:
        references = [victim["external_reference"] for victim in victims]
        repeated = sorted({ref for ref in references if references.count(ref) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"Give each victim once; repeated: {', '.join(repeated)}."
            )
        return victims


class StageChangeSerializer(StrictSerializer):
    """A case moving to a new stage; the victims are told, as from the back office."""

    stage = StrictChoiceField(
        choices=Stage.choices,
        help_text="A closed case only moves by reopening, to under_investigation; "
        "a case with an outcome only moves to closed.",
    )
    victim_text = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="What the victims are told. Left out, they are told the new "
        "stage's name.",
    )
    staff_note = StrictCharField(max_length=2000, required=False, allow_blank=True)
    occurred_at = StrictDateTimeField(
        required=False, help_text="When it happened; now if left out. Not future."
    )
    outcome = StrictChoiceField(
        choices=Outcome.choices, required=False, help_text="Needed for outcome."
    )
    closing_reason = StrictChoiceField(
        choices=ClosingReason.choices, required=False, help_text="Needed for closed."
    )
    closing_explanation = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Why the case was closed, in plain words for victims.",
    )

    def validate(self, data: dict) -> dict:
        errors = {}
        if "outcome" in data and data["stage"] != Stage.OUTCOME:
            errors["outcome"] = ["Give an outcome only with the stage outcome."]
        for field in ("closing_reason", "closing_explanation"):
            if field in data and data["stage"] != Stage.CLOSED:
                errors[field] = ["Give this only with the stage closed."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class CaseUpdateSerializer(StrictSerializer):
    """News on a case: told to the victims, or a note for staff only."""

    victim_text = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="What the victims are told; needed when visible_to_victim.",
    )
    staff_note = StrictCharField(max_length=2000, required=False, allow_blank=True)
    visible_to_victim = StrictBooleanField(
        required=False,
        default=True,
        help_text="false records a note that victims never see and are not told of.",
    )
    occurred_at = StrictDateTimeField(
        required=False, help_text="When it happened; now if left out."
    )


class CaseListQuerySerializer(serializers.Serializer):
    updated_since = StrictDateTimeField(
        required=False,
        help_text="Only cases changed at or after this time, e.g. "
        "2026-11-02T10:00:00Z.",
    )
    page_size = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=ChangedSinceCursorPagination.max_page_size,
        help_text=f"{ChangedSinceCursorPagination.page_size} if left out.",
    )
    cursor = serializers.CharField(
        required=False,
        max_length=500,
        help_text="Opaque: taken from a page's next or previous link.",
    )


class CasePageSerializer(serializers.Serializer):
    next = serializers.URLField(
        allow_null=True, help_text="The next page; null on the last page."
    )
    previous = serializers.URLField(allow_null=True)
    results = CaseSummarySerializer(many=True)
