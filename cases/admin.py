import csv
from itertools import chain

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.constants import ObjectType
from audit.services import Audited, audit_view
from cases.charts import ChartPoint, percent_chart
from cases.compliance import code_compliance, compliance_rows_for_export
from cases.constants import EntryKind, Stage
from cases.forces import force_save, support_service_delete, support_service_save
from cases.forms import (
    CaseAdminForm,
    NamedFieldsInlineFormSet,
    TimelineCorrectionForm,
    TimelineUpdateForm,
)
from cases.models import (
    Case,
    Force,
    SupportService,
    TimelineEntry,
)
from cases.selectors import cases_matching
from cases.services import (
    CASE_EDITABLE_FIELDS,
    case_add_update,
    case_change_stage,
    case_create,
    case_update,
    correction_victim_text,
    may_correct_entries,
    timeline_entry_correct,
)
from conversations.selectors import reply_compliance
from notifications.admin import FailedMessagesFilter, NotificationInline
from notifications.selectors import told_summary
from trackmycrime.admin_scoping import (
    ForceScopedAdmin,
    ForceScopedInline,
    KnownValuesListFilter,
    staff_of,
)
from trackmycrime.pagination import CappedCountPaginator
from victims.constants import Channel
from victims.membership import case_add_victim, case_remove_victim
from victims.models import CaseVictim

COMPLIANCE_PERIODS = {"30": _("30 days"), "90": _("90 days"), "365": _("a year")}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _spreadsheet_safe(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def compliance_chart(months: list) -> dict:
    """Bar geometry for the month-by-month on-time rate, drawn as SVG on the server."""
    return percent_chart(
        [
            ChartPoint(
                label=row.label,
                short_label=row.key.strftime("%b") if row.key else row.label,
                percent=row.on_time_percent,
            )
            for row in months
        ]
    )


class OfficerFilter(KnownValuesListFilter):
    title = _("officer in charge")
    parameter_name = "officer"

    def lookups(self, request, model_admin):
        officers = User.objects.filter(force_id=request.user.force_id, is_active=True)
        return [("me", _("My cases"))] + [
            (str(officer.pk), officer.display_name) for officer in officers
        ]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(officer_in_charge=request.user)
        if self.value() and self.value().isdigit():
            return queryset.filter(officer_in_charge_id=int(self.value()))
        return queryset


class OverdueFilter(KnownValuesListFilter):
    title = _("update to victims")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = Q(next_update_due__lt=timezone.now()) & ~Q(stage=Stage.CLOSED)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class UpdateIntervalFilter(KnownValuesListFilter):
    """Right 6: whether the victims agreed the update interval online, and whether
    staff changed it since."""

    title = _("update interval")
    parameter_name = "interval"

    def lookups(self, request, model_admin):
        return [
            ("agreed", _("Agreed with the victim")),
            ("changed", _("Changed by staff since agreed")),
            ("staff", _("Set by staff, not agreed online")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "agreed":
            return queryset.filter(update_interval_agreed_days__isnull=False)
        if self.value() == "changed":
            return queryset.filter(update_interval_agreed_days__isnull=False).exclude(
                update_interval_agreed_days=F("update_interval_days")
            )
        if self.value() == "staff":
            return queryset.filter(update_interval_agreed_days__isnull=True)
        return queryset


def update_interval_text(case: Case) -> str:
    """The case's update interval for staff: whether the victims agreed it online
    (and when), and the agreed one if staff changed it since."""
    if case.update_interval_agreed_days is None:
        return _("%(days)s days (set by staff)") % {"days": case.update_interval_days}
    agreed_on = (
        date_format(timezone.localtime(case.update_interval_agreed_at), "j M Y")
        if case.update_interval_agreed_at
        else ""
    )
    if case.update_interval_differs_from_agreed:
        return _(
            "%(days)s days: changed by staff; the victim agreed %(agreed)s days "
            "on %(date)s"
        ) % {
            "days": case.update_interval_days,
            "agreed": case.update_interval_agreed_days,
            "date": agreed_on,
        }
    return _("%(days)s days, agreed with the victim on %(date)s") % {
        "days": case.update_interval_days,
        "date": agreed_on,
    }


class TimelineEntryInline(ForceScopedInline):
    """The case's timeline. Entries are never edited: a new update is added below."""

    model = TimelineEntry
    form = TimelineUpdateForm
    formset = NamedFieldsInlineFormSet
    extra = 1
    fields = [
        "occurred_at",
        "kind",
        "stage",
        "victim_text",
        "staff_note",
        "visible_to_victim",
        "recorded_by_name",
        "code_deadline",
    ]
    readonly_fields = [
        "occurred_at",
        "kind",
        "stage",
        "recorded_by_name",
        "code_deadline",
    ]
    ordering = ["-occurred_at", "-id"]
    verbose_name = _("update")
    verbose_name_plural = _("timeline (newest first); add an update in the empty row")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and may_correct_entries(user=staff_of(request), case=obj):
            fields.append("correct_entry")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "correct_entry"]

    @admin.display(description=_("recorded by"))
    def recorded_by_name(self, entry: TimelineEntry) -> str:
        return entry.recorded_by_label

    @admin.display(description=_("correction"))
    def correct_entry(self, entry: TimelineEntry) -> str:
        """A link to correct the entry, or when it was corrected."""
        if entry.pk is None or entry.kind == EntryKind.CORRECTION:
            return ""
        if entry.corrected_at is not None:
            return _("Corrected on %(date)s") % {
                "date": date_format(timezone.localtime(entry.corrected_at), "j M Y")
            }
        return format_html(
            '<a href="{}">{}<span class="visually-hidden"> {}</span></a>',
            reverse("admin:cases_case_correct_entry", args=[entry.case_id, entry.pk]),
            _("Correct"),
            _("the entry of %(date)s")
            % {"date": date_format(timezone.localtime(entry.occurred_at), "j M Y")},
        )


class CaseVictimInline(ForceScopedInline):
    model = CaseVictim
    formset = NamedFieldsInlineFormSet
    extra = 0
    autocomplete_fields = ["victim"]
    fields = ["victim", "updates_agreed", "messages"]
    readonly_fields = ["updates_agreed", "messages"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # How many of each victim's messages on this case wait for a reply, in the
        # inline's one query.
        waiting = Q(
            victim__conversations__case=F("case"),
            victim__conversations__messages__author_kind="victim",
            victim__conversations__messages__answered_at__isnull=True,
        )
        return (
            super()
            .get_queryset(request)
            .select_related("victim")
            .annotate(
                messages_waiting=Count(
                    "victim__conversations__messages", filter=waiting
                )
            )
        )

    @admin.display(description=_("updates agreed online"))
    def updates_agreed(self, link: CaseVictim) -> str:
        """Right 6: how often and by which channels this victim agreed, and when."""
        if link.pk is None or link.agreed_at is None:
            return str(_("Not agreed online"))
        channels = ", ".join(
            str(Channel(channel).label) for channel in link.agreed_channels or []
        ) or str(_("no messages (the portal only)"))
        return _("Every %(days)s days by %(channels)s, on %(date)s") % {
            "days": link.agreed_interval_days,
            "channels": channels,
            "date": date_format(timezone.localtime(link.agreed_at), "j M Y"),
        }

    @admin.display(description=_("messages"))
    def messages(self, link: CaseVictim) -> str:
        """A link to the conversation with this victim, and what waits in it."""
        if link.pk is None:
            return ""
        waiting = getattr(link, "messages_waiting", 0)
        return format_html(
            '<a href="{}">{}<span class="visually-hidden"> {}</span></a>{}',
            reverse(
                "admin:conversations_conversation_thread",
                args=[link.case_id, link.victim_id],
            ),
            _("Messages"),
            _("with %(victim)s") % {"victim": link.victim},
            format_html(
                " <strong>({})</strong>", _("%(count)s waiting") % {"count": waiting}
            )
            if waiting
            else "",
        )


@admin.register(Case)
class CaseAdmin(ForceScopedAdmin):
    audit_object_type = ObjectType.CASE
    form = CaseAdminForm
    list_display = [
        "crime_reference",
        "victim_description",
        "stage",
        "officer_in_charge",
        "update_interval",
        "update_due",
        "overdue",
    ]
    # What is due soonest first; closed cases, with nothing due, last.
    # An expression here is fine for the admin; its stubs allow only names.
    ordering = [F("next_update_due").asc(nulls_last=True), "id"]  # type: ignore[list-item]
    list_filter = [
        "stage",
        OfficerFilter,
        OverdueFilter,
        UpdateIntervalFilter,
        FailedMessagesFilter,
        "offence_category",
    ]
    list_select_related = ["officer_in_charge"]
    list_per_page = 50
    # Counting every case in a large force on every page load is slow; not needed.
    show_full_result_count = False
    paginator = CappedCountPaginator
    search_fields = ["crime_reference"]
    search_help_text = _(
        "Search by crime reference number or part of it, or by a victim's name, "
        "email address or mobile number."
    )
    inlines = [CaseVictimInline, TimelineEntryInline, NotificationInline]
    readonly_fields = [
        "next_update_due",
        "closed_at",
        "suspect_interviewed",
        "update_agreement",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "crime_reference",
                    "offence_category",
                    "victim_description",
                    "officer_in_charge",
                    "reported_on",
                    "incident_on",
                    "summary_only",
                    "update_interval_days",
                    "update_agreement",
                    "next_update_due",
                ]
            },
        ),
        (
            _("Stage"),
            {
                "fields": [
                    "stage",
                    "stage_message",
                    "occurred_at",
                    "confirm_backward_move",
                    "outcome",
                    "closing_reason",
                    "closing_explanation",
                    "closed_at",
                    "suspect_interviewed",
                ]
            },
        ),
    ]

    @admin.display(description=_("update interval"), ordering="update_interval_days")
    def update_interval(self, case: Case) -> str:
        return update_interval_text(case)

    @admin.display(description=_("agreed with the victims"))
    def update_agreement(self, case: Case) -> str:
        if case.pk is None:
            return ""
        return update_interval_text(case)

    @admin.display(description=_("next update due"), ordering="next_update_due")
    def update_due(self, case: Case) -> str:
        if case.next_update_due is None:
            return "—"
        return date_format(timezone.localtime(case.next_update_due), "j M Y")

    @admin.display(description=_("overdue"))
    def overdue(self, case: Case) -> str:
        """An icon and words: a red warning for an overdue update, a tick if not."""
        if case.is_closed:
            return "—"
        if case.is_overdue:
            return format_html(
                '<img src="{}" alt="" width="13" height="13"> <strong>{}</strong>',
                static("admin/img/icon-alert.svg"),
                _("Overdue"),
            )
        return format_html(
            '<img src="{}" alt="" width="13" height="13"> {}',
            static("admin/img/icon-yes.svg"),
            _("On time"),
        )

    def get_search_results(self, request, queryset, search_term):
        """Search by what the term looks like (cases.selectors.cases_matching), so
        that each search uses its own index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return cases_matching(
            cases=queryset, force=request.user.force, term=term
        ), False

    def get_urls(self):
        return [
            path(
                "compliance/",
                self.admin_site.admin_view(self.compliance_view),
                name="cases_case_compliance",
            ),
            path(
                "<path:object_id>/timeline/<int:entry_id>/correct/",
                self.admin_site.admin_view(self.correct_entry_view),
                name="cases_case_correct_entry",
            ),
            *super().get_urls(),
        ]

    def compliance_view(self, request):
        """Figures for 'are we meeting the Victims' Code?', for this force."""
        if not request.user.has_perm("cases.view_code_compliance"):
            raise PermissionDenied
        if request.user.force_id is None:
            raise Http404
        days = request.GET.get("days", "365")
        days = int(days) if days in COMPLIANCE_PERIODS else 365
        if request.GET.get("format") == "csv":
            return self._compliance_csv(request, days)
        report = code_compliance(force_id=request.user.force_id, days=days)
        replies = reply_compliance(force_id=request.user.force_id, days=days)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Victims' Code compliance"),
            "opts": self.model._meta,
            "report": report,
            "chart": compliance_chart(report.by_month),
            "replies": replies,
            "replies_chart": compliance_chart(replies.by_month),
            "days": days,
            "periods": COMPLIANCE_PERIODS,
        }
        return TemplateResponse(request, "admin/cases/case/compliance.html", context)

    def correct_entry_view(self, request, object_id: str, entry_id: int):
        """A supervisor corrects a timeline entry recorded wrongly
        (cases.services.timeline_entry_correct)."""
        user = staff_of(request)
        case = self.get_object(request, object_id)  # only this force's cases
        if case is None:
            raise Http404
        entry = TimelineEntry.objects.filter(case=case, pk=entry_id).first()
        if entry is None:
            raise Http404
        if not may_correct_entries(user=user, case=case):
            raise PermissionDenied
        if request.method == "GET":
            audit_view(
                actor=user,
                object_type=ObjectType.TIMELINE_ENTRY,
                objects=[Audited(entry.pk, case.force_id, case.pk)],
            )
        form = TimelineCorrectionForm(
            request.POST or None,
            entry=entry,
            initial={"victim_text": correction_victim_text(entry=entry)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                timeline_entry_correct(
                    entry=entry,
                    actor=user,
                    victim_text=form.cleaned_data.get("victim_text") or "",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "The entry is corrected. The victims see the correction on "
                        "their timeline; the original stays there, marked as corrected."
                    ),
                )
                return HttpResponseRedirect(
                    reverse("admin:cases_case_change", args=[case.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct a timeline entry"),
            "opts": self.model._meta,
            "original": case,
            "entry": entry,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/case/correct_entry.html", context)

    def _compliance_csv(self, request, days: int) -> StreamingHttpResponse:
        force_id = staff_of(request).force_id
        if force_id is None:
            raise PermissionDenied
        audit_view(
            actor=staff_of(request),
            object_type=ObjectType.CODE_COMPLIANCE_EXPORT,
            objects=[Audited(object_id="", force_id=force_id, detail={"days": days})],
        )
        writer = csv.writer(_Echo())
        rows = compliance_rows_for_export(force_id=force_id, days=days)
        header = [
            "crime_reference",
            "deadline_kind",
            "stage",
            "officer",
            "occurred_at",
            "recorded_at",
            "deadline",
            "told_at",
            "status",
            "working_days_late",
        ]
        response = StreamingHttpResponse(
            (
                writer.writerow(row)
                for row in chain([header], (map(_spreadsheet_safe, r) for r in rows))
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="code-compliance-{days}-days.csv"'
        )
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.force = request.user.force
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "officer_in_charge":
            kwargs["queryset"] = User.objects.filter(
                force_id=request.user.force_id, is_active=True
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            case = case_create(
                force=request.user.force,
                crime_reference=data["crime_reference"],
                offence_category=data["offence_category"],
                victim_description=data["victim_description"],
                officer_in_charge=data.get("officer_in_charge"),
                reported_on=data.get("reported_on"),
                update_interval_days=data["update_interval_days"],
                actor=request.user,
            )
            obj.pk = case.pk
            obj._state.adding = False
            return
        case_update(
            case=obj,
            actor=request.user,
            changes={
                field: data[field]
                for field in form.changed_data
                if field in CASE_EDITABLE_FIELDS
            },
        )
        if "stage" in form.changed_data:
            _told_entries(request).append(
                case_change_stage(
                    case=obj,
                    stage=data["stage"],
                    actor=request.user,
                    victim_text=data.get("stage_message") or "",
                    occurred_at=data.get("occurred_at"),
                    outcome=data.get("outcome") or "",
                    closing_reason=data.get("closing_reason") or "",
                    closing_explanation=data.get("closing_explanation") or "",
                )
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if summary := told_summary(
            case_id=form.instance.pk, entries=_told_entries(request)
        ):
            self.message_user(request, summary, messages.INFO)

    def save_formset(self, request, form, formset, change):
        case = form.instance
        new, deleted = [], []
        if formset.model is TimelineEntry:
            for entry_form in formset.extra_forms:
                if entry_form.has_changed():
                    entry = case_add_update(
                        case=case,
                        actor=request.user,
                        victim_text=entry_form.cleaned_data.get("victim_text", ""),
                        staff_note=entry_form.cleaned_data.get("staff_note", ""),
                        visible_to_victim=entry_form.cleaned_data.get(
                            "visible_to_victim", False
                        ),
                    )
                    new.append(entry)
                    _told_entries(request).append(entry)
        elif formset.model is CaseVictim:
            for link_form in formset.extra_forms:
                if link_form.has_changed() and not formset._should_delete_form(
                    link_form
                ):
                    new.append(
                        case_add_victim(
                            case=case,
                            victim=link_form.cleaned_data["victim"],
                            actor=request.user,
                        )
                    )
            for link_form in formset.initial_forms:
                if formset._should_delete_form(link_form):
                    deleted.append(link_form.instance)
                    case_remove_victim(link=link_form.instance, actor=request.user)
        # What the admin's change message reads, as formset.save() would have set it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            new,
            [],
            deleted,
        )

    def audit_case_id(self, obj: Case) -> int:
        return obj.pk


def _told_entries(request: HttpRequest) -> list[TimelineEntry]:
    """The timeline entries this save wrote, for the message saying who is told."""
    return request.__dict__.setdefault("told_entries", [])


class SupportServiceInline(admin.TabularInline):
    model = SupportService
    extra = 1
    fields = ["name", "description", "phone", "url", "position"]
    # A web address typed without a scheme is a secure one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "crime_reference_example"]
    inlines = [SupportServiceInline]
    formfield_overrides = SupportServiceInline.formfield_overrides

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk=staff_of(request).force_id)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["name", "code", "crime_reference_pattern"]

    def save_model(self, request, obj, form, change):
        force_save(force=obj, actor=request.user, changed_fields=form.changed_data)

    def delete_model(self, request, obj):
        raise PermissionDenied  # a force's cases and staff outlive any edit here

    def has_delete_permission(self, request, obj=None):
        return False

    def save_formset(self, request, form, formset, change):
        """Save the force's support services through the service that audits."""
        new, changed, deleted = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            service = inline_form.instance
            if inline_form.cleaned_data.get("DELETE"):
                if service.pk is not None:
                    support_service_delete(service=service, actor=request.user)
                    deleted.append(service)
                continue
            fields = [name for name in inline_form.changed_data if name != "DELETE"]
            (changed if service.pk else new).append(service)
            service.force = form.instance
            support_service_save(
                service=service, actor=request.user, changed_fields=fields
            )
        # What the admin's change message reads, as formset.save() would have set it.
        formset.new_objects = new
        formset.changed_objects = [(obj, []) for obj in changed]
        formset.deleted_objects = deleted
