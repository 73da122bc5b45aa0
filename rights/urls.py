from django.urls import path

from rights import journey_views, views

app_name = "rights"

urlpatterns = [
    # Right 7: a Victim Personal Statement.
    path(
        "case/rights/personal-statement/",
        journey_views.personal_statement_statement,
        name="personal_statement",
    ),
    path(
        "case/rights/personal-statement/reading/",
        journey_views.personal_statement_reading,
        name="personal_statement_reading",
    ),
    path(
        "case/rights/personal-statement/contact/",
        journey_views.personal_statement_availability,
        name="personal_statement_availability",
    ),
    path(
        "case/rights/personal-statement/check/",
        journey_views.personal_statement_check,
        name="personal_statement_check",
    ),
    path(
        "case/rights/personal-statement/sent/",
        journey_views.personal_statement_sent,
        name="personal_statement_sent",
    ),
    # Right 4: a referral to support.
    path(
        "case/rights/support/",
        journey_views.support_referral_service,
        name="support_referral",
    ),
    path(
        "case/rights/support/consent/",
        journey_views.support_referral_consent,
        name="support_referral_consent",
    ),
    path(
        "case/rights/support/check/",
        journey_views.support_referral_check,
        name="support_referral_check",
    ),
    path(
        "case/rights/support/sent/",
        journey_views.support_referral_sent,
        name="support_referral_sent",
    ),
    # Review and complaint: the kind's one question page, check answers, done.
    path("case/rights/<slug:kind>/", views.request_question, name="question"),
    path("case/rights/<slug:kind>/check/", views.request_check, name="check"),
    path("case/rights/<slug:kind>/done/", views.request_done, name="done"),
]
