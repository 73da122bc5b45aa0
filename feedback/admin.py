"""The Victim Voice dashboard in the back office, for feedback analysts (supervisors):
the force's figures, with intervals and suppression, a suppressed CSV export and the
redacted comments. Responses themselves are never listed, changed or deleted here."""

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from audit.constants import AuditAction, ObjectType
from audit.services import audit_record
from cases.admin import _Echo, _spreadsheet_safe
from cases.charts import ChartPoint, percent_chart
from cases.models import Force
from feedback.analysis import (
    PERIODS,
    QUESTIONS,
    feedback_comments,
    feedback_report,
    report_csv_rows,
)
from feedback.constants import SUPPRESS_BELOW
from feedback.models import FeedbackResponse

ANALYST_PERMISSION = "feedback.analyse_feedback"


def _charts(report) -> list[dict]:
    """One month-by-month chart per question: the positive share, with its 95%
    interval as a band; suppressed months have neither."""
    month_table = report.tables[0]
    charts = []
    for question in QUESTIONS:
        points = [
            ChartPoint(
                label=row.label,
                short_label=row.key.strftime("%b"),
                percent=row.shares[question.value].percent,
                low=row.shares[question.value].low,
                high=row.shares[question.value].high,
            )
            for row in month_table.rows
        ]
        charts.append(
            {
                "key": question.value,
                "question": question.label,
                "chart": percent_chart(points),
                "rows": [
                    (row.label, row.shares[question.value]) for row in month_table.rows
                ],
            }
        )
    return charts


@admin.register(FeedbackResponse)
class FeedbackDashboardAdmin(admin.ModelAdmin):
    """The list page is the dashboard."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ANALYST_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and request.user.has_perm(ANALYST_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        from django.urls import path

        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            ),
        ]

    def _force(self, request) -> Force:
        user = request.user
        if user.force_id is not None:
            return user.force
        # Staff of no force (a superuser) choose one.
        forces = Force.objects.order_by("name")
        chosen = request.GET.get("force", "")
        force = forces.filter(pk=chosen).first() if chosen.isdigit() else None
        force = force or forces.first()
        if force is None:
            raise PermissionDenied
        return force

    def changelist_view(self, request, extra_context=None):
        if not request.user.has_perm(ANALYST_PERMISSION):
            raise PermissionDenied
        force = self._force(request)
        months = request.GET.get("months", "12")
        months_n = int(months) if months.isdigit() and int(months) in PERIODS else 12
        report = feedback_report(force=force, months=months_n)
        if request.GET.get("format") == "csv":
            return self._csv(request, report, months_n)
        comments = feedback_comments(
            force=force, month=request.GET.get("comments"), months=months_n
        )
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type=ObjectType.FEEDBACK_FIGURES,
            object_id=force.pk,
            force_id=force.pk,
            detail={
                "months": months_n,
                "comments_month": comments.month.isoformat() if comments.month else "",
            },
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Victim Voice: what victims tell us"),
            "force": force,
            "forces": Force.objects.order_by("name")
            if request.user.force_id is None
            else [],
            "report": report,
            "overall_rows": [report.overall],
            "charts": _charts(report),
            "comments": comments,
            "months": months_n,
            "periods": PERIODS,
            "threshold": SUPPRESS_BELOW,
            "questions": QUESTIONS,
        }
        return TemplateResponse(request, "admin/feedback/dashboard.html", context)

    def _csv(self, request, report, months: int) -> StreamingHttpResponse:
        audit_record(
            actor=request.user,
            action=AuditAction.DISCLOSE,
            object_type=ObjectType.FEEDBACK_EXPORT,
            object_id=report.force.pk,
            force_id=report.force.pk,
            detail={"months": months},
        )
        writer = csv.writer(_Echo())
        rows = report_csv_rows(report)
        response = StreamingHttpResponse(
            (
                writer.writerow([_spreadsheet_safe(cell) for cell in row])
                for row in rows
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="victim-feedback-{months}-months.csv"'
        )
        return response
