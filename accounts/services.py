import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.constants import GROUP_PERMISSIONS, StaffGroup
from accounts.models import ApiClient, User
from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record, audit_saved
from cases.models import Force

BACKUP_CODE_COUNT = 10


@transaction.atomic
def groups_ensure() -> None:
    """Create the staff groups with exactly the permissions in GROUP_PERMISSIONS."""
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(permissions)


@transaction.atomic
def staff_create(
    *,
    username: str,
    force: Force | None,
    group: StaffGroup | None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    rank: str = "",
    is_superuser: bool = False,
    actor: Actor | None = None,
) -> tuple[User, str]:
    """Create a member of staff and return them with their password."""
    groups_ensure()
    password = password or secrets.token_urlsafe(18)
    user = User.objects.create_user(
        username=username,
        password=password,
        force=force,
        first_name=first_name,
        last_name=last_name,
        rank=rank,
        is_staff=True,
        is_superuser=is_superuser,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    _audit_staff(user, actor, AuditAction.CREATE)
    return user, password


def _audit_staff(
    user: User, actor: Actor | None, action: AuditAction, changed: Iterable[str] = ()
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=ObjectType.STAFF,
        object_id=user.pk,
        force_id=user.force_id,
        changed_fields=changed,
    )


@transaction.atomic
def staff_save(
    *, user: User, actor: Actor | None, changed_fields: Iterable[str]
) -> None:
    """Save a member of staff added or changed in the back office (their groups
    are saved with the form), and audit the names of what changed."""
    audit_saved(
        record=user,
        actor=actor,
        object_type=ObjectType.STAFF,
        changed_fields=changed_fields,
        force_of=lambda saved: saved.force_id,
    )


@transaction.atomic
def staff_password_changed(*, user: User, actor: Actor | None) -> None:
    """Record that someone set a member of staff's password in the back office."""
    _audit_staff(user, actor, AuditAction.CHANGE, ["password"])


@transaction.atomic
def staff_second_factor_issue(
    user: User, actor: Actor | None = None
) -> tuple[str, list[str]]:
    """Give a member of staff an authenticator app device and backup codes.

    Return the TOTP provisioning URI and the unused single-use backup codes; codes are
    only added when none are left, so calling this twice changes nothing.
    """
    totp, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Authenticator app", defaults={"confirmed": True}
    )
    backup, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    if not backup.token_set.exists():
        for _index in range(BACKUP_CODE_COUNT):
            backup.token_set.create(token=StaticToken.random_token())
        _audit_staff(user, actor, AuditAction.CHANGE, ["second_factor"])
    codes = list(backup.token_set.order_by("id").values_list("token", flat=True))
    return totp.config_url, codes


API_TOKEN_PREFIX = "tmc"  # noqa: S105 - a label, not a secret
# Recording every request's time would be a write per request; a minute is precise
# enough to tell a live integration from a dead one.
API_CLIENT_LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def api_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_client_create(
    *, force: Force, name: str, actor: Actor | None
) -> tuple[ApiClient, str]:
    """Create a force's API client and return it with its token, which is not kept
    and cannot be shown again."""
    key_prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        force=force,
        name=name,
        key_prefix=key_prefix,
        secret_hash=api_secret_hash(secret),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.API_CLIENT,
        object_id=client.pk,
        force_id=force.pk,
    )
    return client, f"{API_TOKEN_PREFIX}_{key_prefix}_{secret}"


@transaction.atomic
def api_client_revoke(*, client: ApiClient, actor: Actor | None) -> bool:
    """Stop a client's token working, at once; return False if it already was."""
    revoked = ApiClient.objects.filter(pk=client.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            actor=actor,
            action=AuditAction.CHANGE,
            object_type=ObjectType.API_CLIENT,
            object_id=client.pk,
            force_id=client.force_id,
            changed_fields=["revoked_at"],
        )
    return bool(revoked)


def api_client_touch(*, client: ApiClient) -> None:
    """Record that the client has just been used (to the minute)."""
    now = timezone.now()
    if (
        client.last_used_at
        and now - client.last_used_at < API_CLIENT_LAST_USED_PRECISION
    ):
        return
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lt=now - API_CLIENT_LAST_USED_PRECISION)
    ).update(last_used_at=now)
