"""Changes to victims' records, from the back office or a records system's push;
each one audited."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.models import Force
from victims.constants import ContactPreference, language_for_record, offered_languages
from victims.models import Victim

VICTIM_EDITABLE_FIELDS = frozenset(
    {
        "external_reference",
        "full_name",
        "email",
        "mobile",
        "preferred_language",
        "contact_preference",
        "detail_by_email",
        "detail_by_sms",
        "discreet_messages",
        "enhanced_rights",
        "enhanced_rights_reason",
        "portal_access_allowed",
    }
)


def _check_language(changes: dict[str, Any]) -> None:
    """Refuse a preferred language the portal does not offer: the victim would be
    written to in English while the record promised otherwise."""
    language = changes.get("preferred_language")
    if language is not None and language not in dict(offered_languages()):
        raise ValidationError(
            {
                "preferred_language": [
                    _("This service does not offer that language; choose another.")
                ]
            }
        )


def _normalise(changes: dict[str, Any]) -> dict[str, Any]:
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip().lower()
    if "mobile" in changes and changes["mobile"] is None:
        changes["mobile"] = ""
    return changes


@transaction.atomic
def victim_create(*, force: Force, actor: Actor | None, **fields: Any) -> Victim:
    unknown = set(fields) - VICTIM_EDITABLE_FIELDS
    if unknown:
        raise ValidationError({field: [_("Unknown field.")] for field in unknown})
    _check_language(fields)
    victim = Victim(force=force, **_normalise(fields))
    victim.full_clean(exclude=["force"])
    victim.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=ObjectType.VICTIM,
        object_id=victim.pk,
        force_id=force.pk,
    )
    return victim


@transaction.atomic
def victim_update(
    *, victim: Victim, actor: Actor | None, changes: dict[str, Any]
) -> list[str]:
    """Change a victim's details; return the names (never values) of what changed."""
    unknown = set(changes) - VICTIM_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            {field: [_("This field cannot be changed here.")] for field in unknown}
        )
    victim = Victim.objects.select_for_update().get(pk=victim.pk)
    changes = _normalise(dict(changes))
    changed = [
        field for field, value in changes.items() if getattr(victim, field) != value
    ]
    if not changed:
        return []
    _check_language({field: changes[field] for field in changed})
    for field in changed:
        setattr(victim, field, changes[field])
    victim.full_clean(exclude=["force"])
    victim.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.VICTIM,
        object_id=victim.pk,
        force_id=victim.force_id,
        changed_fields=changed,
    )
    return changed


@transaction.atomic
def victim_upsert(
    *,
    force: Force,
    external_reference: str,
    actor: Actor | None,
    fields: dict[str, Any],
) -> tuple[Victim, bool]:
    """Create the force's victim with this records-system reference, or change the
    one there is to `fields`; return the victim and whether it was created.

    Giving the same fields again changes nothing and audits nothing. A push never
    undoes a safeguarding decision: it can turn portal access off but not back on,
    and it does not move a victim out of "no contact"; staff do both.
    """
    external_reference = external_reference.strip()
    if not external_reference:
        raise ValidationError(
            {"external_reference": [_("Give the victim's id in the records system.")]}
        )
    if "external_reference" in fields:
        raise ValidationError(
            {"external_reference": [_("The reference is the key; it is not changed.")]}
        )
    victim = (
        Victim.objects.select_for_update()
        .filter(force=force, external_reference=external_reference)
        .first()
    )
    if victim is None:
        victim = victim_create(
            force=force, actor=actor, external_reference=external_reference, **fields
        )
        return victim, True
    fields = dict(fields)
    if not victim.portal_access_allowed and fields.get("portal_access_allowed"):
        del fields["portal_access_allowed"]
    if victim.contact_preference == ContactPreference.NONE:
        fields.pop("contact_preference", None)
    victim_update(victim=victim, actor=actor, changes=fields)
    return victim, False


@transaction.atomic
def victim_choose_discreet_messages(*, victim: Victim) -> bool:
    """Let a signed-in victim make their messages discreet; return False if they
    already were. Only staff turn it off: someone else holding the victim's phone
    must not be able to make messages name the police again."""
    return bool(
        victim_update(victim=victim, actor=victim, changes={"discreet_messages": True})
    )


@transaction.atomic
def victim_choose_language(*, victim: Victim, language_code: str) -> bool:
    """Save the language a signed-in victim chose for the portal on their record,
    so that messages come in it too; return False if it already was."""
    return bool(
        victim_update(
            victim=victim,
            actor=victim,
            changes={"preferred_language": language_for_record(language_code)},
        )
    )
