"""The back office's side of victims' Victims' Code requests: the list, with both
clocks, and each request's page, where staff assign it, acknowledge it and record
its outcome. Every write goes through rights.services; never a bare save."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.constants import ObjectType
from audit.services import Audited, audit_view
from cases.working_days import LONDON
from rights.constants import OPEN_STATUSES, OUTCOMES_BY_KIND, RequestOutcome
from rights.journey_forms import staff_answers
from rights.models import RightRequest
from rights.services import (
    RequestRefused,
    request_acknowledge,
    request_assign,
    request_record_outcome,
)
from trackmycrime.admin_scoping import (
    ForceScopedAdmin,
    KnownValuesListFilter,
    staff_of,
)


def request_url(request_id: int) -> str:
    return reverse("admin:rights_rightrequest_act", args=[request_id])


class LateFilter(KnownValuesListFilter):
    """Requests with a deadline passed and not met, or met after it."""

    title = _("late")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("Late")), ("no", _("Not late"))]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        now = timezone.now()
        late = Q()
        for clock in ("acknowledge_clock", "done_clock"):
            late |= Q(
                **{f"{clock}__told_at__isnull": True, f"{clock}__deadline__lt": now}
            )
            late |= Q(**{f"{clock}__told_at__gt": F(f"{clock}__deadline")})
        return (
            queryset.filter(late) if self.value() == "yes" else queryset.exclude(late)
        )


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label=_("Reviewer or member of staff"), queryset=User.objects.none()
    )

    def __init__(self, *args, force_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            force_id=force_id, is_active=True
        ).order_by("last_name", "first_name", "username")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=())
    note = forms.CharField(
        label=_("What the victim is told (shown in the portal only)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )

    done_on = forms.DateField(
        label=_("When it was done"),
        required=False,
        help_text=_(
            "For example, the day the statement was taken or the referral made, "
            "as 2/12/2026. Leave empty for now."
        ),
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [  # type: ignore[attr-defined]
            (value, RequestOutcome(value).label) for value in OUTCOMES_BY_KIND[kind]
        ]

    def done_at(self) -> datetime.datetime | None:
        """The moment to record: now for today (or no date), else the end of that
        day in UK time (the Code's deadlines are counted in whole days)."""
        day = self.cleaned_data.get("done_on")
        if day is None or day == timezone.localdate():
            return None
        return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=LONDON)


@admin.register(RightRequest)
class RightRequestAdmin(ForceScopedAdmin):
    audit_object_type = ObjectType.RIGHT_REQUEST
    list_display = [
        "case",
        "kind",
        "status",
        "made_at",
        "acknowledge_by",
        "decide_by",
        "assigned_to",
    ]
    list_filter = ["kind", "status", LateFilter]
    list_select_related = ["case", "assigned_to", "acknowledge_clock", "done_clock"]
    ordering = ["-made_at", "-id"]
    show_full_result_count = False

    @admin.display(description=_("acknowledge by"))
    def acknowledge_by(self, request: RightRequest):
        return _deadline(request.acknowledge_clock)

    @admin.display(description=_("deal with by"))
    def decide_by(self, request: RightRequest):
        return _deadline(request.done_clock)

    def audit_case_id(self, obj):
        return obj.case_id

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Never through the generic change form: the request page's forms call the
        # services, and check their own permissions.
        return False

    def get_urls(self):
        return [
            path(
                "<int:request_id>/act/",
                self.admin_site.admin_view(self.act_view),
                name="rights_rightrequest_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        return HttpResponseRedirect(request_url(obj.pk))

    def act_view(self, request, request_id: int):
        """One request: what the victim asked, both clocks, and the forms to assign
        it, acknowledge it and record its outcome."""
        user = staff_of(request)
        if not user.has_perm("rights.view_rightrequest"):
            raise PermissionDenied
        right_request = (
            self.get_queryset(request)
            .select_related(
                "case__officer_in_charge",
                "victim",
                "assigned_to",
                "acknowledge_clock",
                "done_clock",
            )
            .filter(pk=request_id)
            .first()
        )
        if right_request is None:
            raise Http404
        action = request.POST.get("action") if request.method == "POST" else None
        assign_form = AssignForm(
            request.POST if action == "assign" else None,
            force_id=right_request.force_id,
            initial={"assigned_to": right_request.assigned_to_id},
        )
        outcome_form = OutcomeForm(
            request.POST if action == "outcome" else None, kind=right_request.kind
        )
        error = None
        if action:
            error = self._act(
                request,
                right_request=right_request,
                action=action,
                assign_form=assign_form,
                outcome_form=outcome_form,
            )
            if error is None and not assign_form.errors and not outcome_form.errors:
                response = HttpResponseRedirect(request_url(right_request.pk))
                response.status_code = 303
                return response
        else:
            audit_view(
                actor=user,
                object_type=ObjectType.RIGHT_REQUEST,
                objects=[
                    Audited(
                        right_request.pk,
                        right_request.force_id,
                        right_request.case_id,
                        {"victim_id": right_request.victim_id},
                    )
                ],
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(kind)s on case %(case)s")
            % {
                "kind": right_request.get_kind_display(),
                "case": right_request.case.crime_reference,
            },
            "opts": self.model._meta,
            "right_request": right_request,
            "answers": staff_answers(right_request.details, right_request.kind),
            "assign_form": assign_form,
            "outcome_form": outcome_form,
            "error": error,
            "is_open": right_request.status in OPEN_STATUSES,
            "may_assign": user.has_perm("rights.assign_rightrequest"),
            "may_change": user.has_perm("rights.change_rightrequest"),
            "now": timezone.now(),
        }
        return TemplateResponse(
            request,
            "admin/rights/rightrequest/act.html",
            context,
            status=400 if error or assign_form.errors or outcome_form.errors else 200,
        )

    def _act(self, request, *, right_request, action, assign_form, outcome_form):
        """Do what the posted form asks, through the services; return the error to
        show, if any (form errors are left on the forms)."""
        user = staff_of(request)
        needed = (
            "rights.assign_rightrequest"
            if action == "assign"
            else "rights.change_rightrequest"
        )
        if not user.has_perm(needed):
            raise PermissionDenied
        try:
            if action == "assign":
                if not assign_form.is_valid():
                    return None
                request_assign(
                    request=right_request,
                    reviewer=assign_form.cleaned_data["assigned_to"],
                    actor=user,
                )
                messages.success(request, _("The request is assigned."))
            elif action == "acknowledge":
                request_acknowledge(request=right_request, actor=user)
                messages.success(
                    request,
                    _(
                        "The request is acknowledged. The victim is told there is an "
                        "update, in the ways they said are safe."
                    ),
                )
            elif action == "outcome":
                if not outcome_form.is_valid():
                    return None
                request_record_outcome(
                    request=right_request,
                    actor=user,
                    outcome=outcome_form.cleaned_data["outcome"],
                    note=outcome_form.cleaned_data["note"],
                    done_at=outcome_form.done_at(),
                )
                messages.success(
                    request,
                    _(
                        "The outcome is recorded. The victim is told there is an "
                        "update, and reads it when they sign in."
                    ),
                )
            else:
                return _("Choose what to do.")
        except RequestRefused as refused:
            if action == "assign" and refused.field == "assigned_to":
                assign_form.add_error("assigned_to", refused.messages[0])
                return None
            if action == "outcome" and refused.field == "done_at":
                outcome_form.add_error("done_on", refused.messages[0])
                return None
            return refused.messages[0]
        return None


def _deadline(clock):
    if clock is None:
        return "—"
    when = timezone.localtime(clock.deadline).strftime("%d %b %Y")
    if clock.told_at is not None:
        late = clock.told_at > clock.deadline
        return f"{when} ({_('met late') if late else _('met')})"
    if clock.deadline < timezone.now():
        return f"{when} ({_('overdue')})"
    return when
