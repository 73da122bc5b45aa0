from django.db import models


class StaffGroup(models.TextChoices):
    OFFICER = "Officer"
    SUPERVISOR = "Supervisor"
    FORCE_ADMINISTRATOR = "Force administrator"


_CASE_WORK = [
    "cases.view_case",
    "cases.add_case",
    "cases.change_case",
    "cases.view_timelineentry",
    "cases.add_timelineentry",
    "cases.view_force",
    "victims.view_victim",
    "victims.add_victim",
    "victims.change_victim",
    "victims.view_casevictim",
    "victims.add_casevictim",
    "victims.delete_casevictim",
    "notifications.view_notification",
    "notifications.resend_notification",
    # Messages with victims: read, reply, mark as needing no reply, pause.
    "conversations.view_conversation",
    "conversations.change_conversation",
    "conversations.add_message",
    # Victims' Code requests: read, acknowledge, record the outcome.
    "rights.view_rightrequest",
    "rights.change_rightrequest",
]

# What each group may do; force scoping is applied on top of these, in the admin.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    StaffGroup.OFFICER: _CASE_WORK,
    StaffGroup.SUPERVISOR: [
        *_CASE_WORK,
        "audit.view_auditevent",
        # Staff sign-ins being counted by django-axes; delete is "unlock".
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "cases.view_code_compliance",
        "cases.correct_timelineentry",
        "feedback.analyse_feedback",
        "rights.assign_rightrequest",
        "notifications.view_failednotification",
        "privacy.view_victimerasure",
        "privacy.erase_victim",
    ],
    StaffGroup.FORCE_ADMINISTRATOR: [
        *_CASE_WORK,
        "audit.view_auditevent",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "cases.view_code_compliance",
        "cases.correct_timelineentry",
        "notifications.view_failednotification",
        "cases.change_force",
        "cases.view_supportservice",
        "cases.add_supportservice",
        "cases.change_supportservice",
        "cases.delete_supportservice",
        "accounts.view_user",
        "privacy.view_victimerasure",
        "privacy.erase_victim",
    ],
}
