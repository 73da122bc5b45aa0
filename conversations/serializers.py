"""What the API shows of conversations and takes for a reply; every rule is the
services' (conversations.services)."""

from rest_framework import serializers

from api.fields import StrictCharField, StrictSerializer
from conversations.constants import MESSAGE_MAX_LENGTH, AuthorKind
from conversations.models import Conversation, Message


class ConversationMessageSerializer(serializers.ModelSerializer):
    author_kind = serializers.ChoiceField(choices=AuthorKind.choices)
    author = serializers.SerializerMethodField(
        help_text="Who wrote it as the victim sees it: 'victim', the officer's rank "
        "and name, or the force's name."
    )
    text = serializers.CharField(help_text="Plain text, never HTML.")

    class Meta:
        model = Message
        fields = [
            "id",
            "author_kind",
            "author",
            "text",
            "sent_at",
            "reply_due_at",
            "answered_at",
            "no_reply_reason",
        ]
        read_only_fields = fields

    def get_author(self, message: Message) -> str:
        if message.author_kind == AuthorKind.VICTIM:
            return "victim"
        if message.author_kind == AuthorKind.STAFF:
            return message.author_label
        return message.force.name


class ConversationSerializer(serializers.ModelSerializer):
    victim_reference = serializers.CharField(
        source="victim.external_reference",
        allow_null=True,
        help_text="The victim's id in the records system (null if it gave none); "
        "replies are posted to it.",
    )
    paused = serializers.SerializerMethodField()
    messages = ConversationMessageSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = ["victim_reference", "paused", "last_message_at", "messages"]
        read_only_fields = fields

    def get_paused(self, conversation: Conversation) -> bool:
        return conversation.is_paused

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["victim_reference"] = data["victim_reference"] or None
        return data


class ConversationListSerializer(serializers.Serializer):
    results = ConversationSerializer(many=True)


class ReplySerializer(StrictSerializer):
    """A message from the police to one victim, written in the records system."""

    text = StrictCharField(
        max_length=MESSAGE_MAX_LENGTH,
        help_text=f"Plain text, up to {MESSAGE_MAX_LENGTH} characters; no control "
        "characters but newlines.",
    )
    officer_username = StrictCharField(
        required=False,
        max_length=150,
        help_text="The back-office username of the officer replying: the victim "
        "sees their rank and name. Left out, the message is signed by the force.",
    )
