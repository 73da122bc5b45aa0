from django.urls import path

from rights import journey_views

app_name = "rights"

urlpatterns = [
    # Right 7: a Victim Personal Statement.
    path(
        "personal-statement/",
        journey_views.personal_statement_statement,
        name="personal_statement",
    ),
    path(
        "personal-statement/reading/",
        journey_views.personal_statement_reading,
        name="personal_statement_reading",
    ),
    path(
        "personal-statement/contact/",
        journey_views.personal_statement_availability,
        name="personal_statement_availability",
    ),
    path(
        "personal-statement/check/",
        journey_views.personal_statement_check,
        name="personal_statement_check",
    ),
    path(
        "personal-statement/sent/",
        journey_views.personal_statement_sent,
        name="personal_statement_sent",
    ),
    # Right 4: a referral to support.
    path("support/", journey_views.support_referral_service, name="support_referral"),
    path(
        "support/consent/",
        journey_views.support_referral_consent,
        name="support_referral_consent",
    ),
    path(
        "support/check/",
        journey_views.support_referral_check,
        name="support_referral_check",
    ),
    path(
        "support/sent/",
        journey_views.support_referral_sent,
        name="support_referral_sent",
    ),
]
