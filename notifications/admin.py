"""Messages to victims in the back office: on each case, the whole force's list, and
the supervisors' list of failures. Nobody edits a message; a failed one can be sent
again (a new row) or marked as dealt with, each through notifications.services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.constants import ObjectType
from audit.services import Audited, audit_view
from notifications.constants import CASE_MESSAGE_KINDS, FAILED_STATUSES
from notifications.content import mask_recipient
from notifications.models import FailedNotification, Notification
from notifications.staff_actions import (
    notification_mark_dealt_with,
    notification_resend,
)
from trackmycrime.admin_scoping import (
    ForceScopedAdmin,
    ForceScopedInline,
    KnownValuesListFilter,
    staff_of,
)

RESEND_PERMISSION = "notifications.resend_notification"

_FIELDS = [
    "created_at",
    "victim",
    "channel",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "last_error",
    "what_next",
]


def _resend_url(notification: Notification) -> str:
    return reverse("admin:notifications_notification_resend", args=[notification.pk])


@admin.display(description=_("what next"))
def what_next(notification: Notification) -> str:
    if notification.is_open_failure:
        return format_html(
            '<a href="{}">{}</a>', _resend_url(notification), _("Send again")
        )
    if notification.status in FAILED_STATUSES:
        return str(_("Dealt with"))
    return ""


class _DisplayOnlyFormSet(BaseInlineFormSet):
    """Shown on the case page, never submitted with it: the posted data is ignored,
    so a case form posted without this formset's management form (an older page,
    a script, a test) stays valid, and there is never anything to save."""

    def __init__(self, data=None, files=None, *args, **kwargs):
        super().__init__(None, None, *args, **kwargs)

    def is_valid(self) -> bool:
        return True


class NotificationInline(ForceScopedInline):
    """The case's messages to its victims, newest first, read-only."""

    model = Notification
    formset = _DisplayOnlyFormSet
    fk_name = "case"
    extra = 0
    can_delete = False
    fields = tuple(_FIELDS)
    readonly_fields = tuple(_FIELDS)
    ordering = ["-created_at", "-id"]
    verbose_name = _("message to a victim")
    verbose_name_plural = _("messages to victims")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("victim")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    what_next = staticmethod(what_next)


class FailedMessagesFilter(KnownValuesListFilter):
    """For the case list: cases with a failed message no one has dealt with."""

    title = _("messages to victims")
    parameter_name = "messages"

    def lookups(self, request, model_admin):
        return [("failed", _("A message failed"))]

    def queryset(self, request, queryset):
        if self.value() != "failed":
            return queryset
        return queryset.filter(
            Exists(
                Notification.objects.filter(
                    case=OuterRef("pk"),
                    status__in=FAILED_STATUSES,
                    dealt_with_at__isnull=True,
                )
            )
        )


class _ReadOnlyNotificationAdmin(ForceScopedAdmin):
    audit_object_type = ObjectType.NOTIFICATION
    list_display = [
        "created_at",
        "case_link",
        "victim",
        "channel",
        "status",
        "attempts",
        "last_error",
        what_next,
    ]
    list_select_related = ["case", "victim"]
    list_per_page = 100
    show_full_result_count = False
    search_fields = ["=case__crime_reference"]
    readonly_fields = (
        "case",
        "entry",
        *_FIELDS,
        "resend_of",
        "requested_by",
        "dealt_with_at",
    )
    fields = readonly_fields

    @admin.display(description=_("case"), ordering="case__crime_reference")
    def case_link(self, notification: Notification) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:cases_case_change", args=[notification.case_id]),
            notification.case.crime_reference if notification.case else "",
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    what_next = staticmethod(what_next)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm(RESEND_PERMISSION)

    def audit_case_id(self, obj: Notification) -> int | None:
        return obj.case_id


@admin.register(Notification)
class NotificationAdmin(_ReadOnlyNotificationAdmin):
    list_filter = ["status", "channel"]

    def get_urls(self):
        return [
            path(
                "<int:notification_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name="notifications_notification_resend",
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request: HttpRequest, notification_id: int) -> HttpResponse:
        """Ask, then send a failed message again, to the victim's current address."""
        if not self.has_resend_permission(request):
            raise PermissionDenied
        notification = (
            self.get_queryset(request)
            .select_related("case", "victim")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            raise Http404
        case_url = reverse("admin:cases_case_change", args=[notification.case_id])
        if request.method == "POST":
            try:
                notification_resend(notification=notification, actor=staff_of(request))
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request, _("The message will be sent again."), messages.SUCCESS
                )
            return HttpResponseRedirect(case_url)
        audit_view(
            actor=staff_of(request),
            object_type=ObjectType.NOTIFICATION,
            objects=[
                Audited(notification.pk, notification.force_id, notification.case_id)
            ],
        )
        return render(
            request,
            "admin/notifications/notification/resend.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Send a message again"),
                "opts": self.model._meta,
                "notification": notification,
                "to": mask_recipient(
                    notification.channel,
                    notification.victim.address_for(notification.channel),
                ),
                "case_url": case_url,
            },
        )


@admin.register(FailedNotification)
class FailedNotificationAdmin(_ReadOnlyNotificationAdmin):
    """Failed messages no one has dealt with: for supervisors to act on."""

    list_filter = ["status", "channel"]
    actions = ["resend_selected", "mark_dealt_with"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                kind__in=sorted(CASE_MESSAGE_KINDS),
                status__in=FAILED_STATUSES,
                dealt_with_at__isnull=True,
            )
        )

    @admin.action(
        description=_("Send the selected messages again"), permissions=["resend"]
    )
    def resend_selected(self, request, queryset):
        done, refused = self._each(request, queryset, notification_resend)
        self._report(request, done, refused, _("sent again"))

    @admin.action(
        description=_("Mark as dealt with (the victim was told another way)"),
        permissions=["resend"],
    )
    def mark_dealt_with(self, request, queryset):
        done, refused = self._each(request, queryset, notification_mark_dealt_with)
        self._report(request, done, refused, _("marked as dealt with"))

    @staticmethod
    def _each(request, queryset, service) -> tuple[int, list[str]]:
        done, refused = 0, []
        for notification in queryset:
            try:
                service(notification=notification, actor=request.user)
            except ValidationError as error:
                refused.append(f"#{notification.pk}: {' '.join(error.messages)}")
            else:
                done += 1
        return done, refused

    def _report(self, request, done: int, refused: list[str], verb: str) -> None:
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message %(verb)s.", "%(count)d messages %(verb)s.", done
                )
                % {"count": done, "verb": verb},
                messages.SUCCESS,
            )
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
