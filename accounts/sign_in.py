"""Staff sign-in to the back office: every success, failure, lock-out and unlock in
the audit trail, and the unlocking of a locked account.

django-axes does the counting (settings: AXES_*). Its hooks are Django's own
sign-in signals and its `user_locked_out`; the receivers here only record what
happened, through the audit service.
"""

from collections.abc import Iterable
from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from accounts.models import User
from audit.constants import ActorKind, AuditAction, AuditActor, ObjectType
from audit.services import Actor, audit_record
from trackmycrime.client_ip import client_ip


class StaffSignInVisitor:
    """Someone at the back office's sign-in page, not yet signed in."""

    @property
    def audit_actor(self) -> AuditActor:
        return AuditActor(kind=ActorKind.ANONYMOUS, id="", label="sign-in page")


def staff_client_ip(request: HttpRequest) -> str | None:
    """The address axes counts by: the one the audit trail and every other limit
    use (trusted proxies only); None when it cannot be trusted (axes stores it in an
    address column, so it must be an address or nothing)."""
    return client_ip(request)


def _staff(username: str) -> User | None:
    return User.objects.filter(username=username).only("pk", "force_id").first()


def staff_sign_in_record(
    *, username: str, action: AuditAction, detail: dict[str, Any] | None = None
) -> None:
    """Record a staff sign-in outcome for `username` (known or not: an unknown name
    is recorded as typed, so that guessing at names shows in the trail too)."""
    staff = _staff(username)
    audit_record(
        actor=staff if action == AuditAction.SIGN_IN else StaffSignInVisitor(),
        action=action,
        object_type=ObjectType.STAFF,
        object_id=staff.pk if staff else "",
        force_id=staff.force_id if staff else None,
        detail={"username": username[:150], **(detail or {})},
    )


@transaction.atomic
def staff_sign_in_unlock(*, attempts: Iterable[AccessAttempt], actor: Actor) -> int:
    """End the lock-outs (and failure counts) in `attempts`; return how many."""
    count = 0
    for attempt in attempts:
        audit_record(
            actor=actor,
            action=AuditAction.UNLOCKED,
            object_type=ObjectType.STAFF,
            object_id="",
            detail={
                "username": attempt.username or "",
                "ip_address": attempt.ip_address or "",
                "failures": attempt.failures_since_start,
            },
        )
        attempt.delete()
        count += 1
    return count


def _signed_in(sender, request, user, **kwargs) -> None:
    if user.is_staff:
        staff_sign_in_record(username=user.username, action=AuditAction.SIGN_IN)


def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    staff_sign_in_record(
        username=str(credentials.get("username") or ""),
        action=AuditAction.SIGN_IN_FAILED,
    )


def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    staff_sign_in_record(
        username=str(username or ""),
        action=AuditAction.LOCKED_OUT,
        detail={"ip_address": ip_address or ""},
    )


def connect_sign_in_audit() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="accounts.staff_signed_in")
    user_login_failed.connect(
        _sign_in_failed, dispatch_uid="accounts.staff_sign_in_failed"
    )
    user_locked_out.connect(_locked_out, dispatch_uid="accounts.staff_locked_out")


def access_attempts_with_totals(attempts: QuerySet[AccessAttempt]) -> QuerySet:
    """Annotate each counted failure with the failures axes adds up for its
    username and for its address (in the same query), and whether either has
    reached the limit: a lock-out."""

    def total_for(field: str) -> Subquery:
        return Subquery(
            AccessAttempt.objects.filter(**{field: OuterRef(field)})
            .order_by()
            .values(field)
            .annotate(total=Sum("failures_since_start"))
            .values("total")[:1]
        )

    limit = settings.AXES_FAILURE_LIMIT
    return attempts.annotate(
        username_failures=Coalesce(total_for("username"), 0),
        address_failures=Coalesce(total_for("ip_address"), 0),
    ).annotate(
        is_locked=Case(
            When(
                Q(username_failures__gte=limit) | Q(address_failures__gte=limit),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
