"""Who is a victim on which case: adding and removing the link, each audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.constants import AuditAction, ObjectType
from audit.services import Actor, audit_record
from cases.models import Case
from victims.constants import DISCREET_BY_DEFAULT_OFFENCES
from victims.models import CaseVictim, Victim
from victims.services import victim_update


@transaction.atomic
def case_add_victim(*, case: Case, victim: Victim, actor: Actor | None) -> CaseVictim:
    if victim.force_id != case.force_id:
        raise ValidationError(
            {"victim": [_("Choose a victim from this case's force.")]}
        )
    link, created = CaseVictim.objects.get_or_create(case=case, victim=victim)
    if (
        created
        and victim.enhanced_rights
        and not victim.discreet_messages
        and case.offence_category in DISCREET_BY_DEFAULT_OFFENCES
    ):
        victim_update(victim=victim, actor=actor, changes={"discreet_messages": True})
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=ObjectType.CASE_VICTIM,
            object_id=link.pk,
            force_id=case.force_id,
            case_id=case.pk,
            detail={"victim_id": victim.pk},
        )
    return link


@transaction.atomic
def case_remove_victim(*, link: CaseVictim, actor: Actor | None) -> None:
    case = link.case
    audit_record(
        actor=actor,
        action=AuditAction.CHANGE,
        object_type=ObjectType.CASE_VICTIM,
        object_id=link.pk,
        force_id=case.force_id,
        case_id=case.pk,
        detail={"victim_id": link.victim_id, "removed": True},
    )
    link.delete()
