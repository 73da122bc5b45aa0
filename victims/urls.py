from django.urls import path

from victims import views

app_name = "victims"

urlpatterns = [
    path("", views.start, name="start"),
    path("safety/", views.safety, name="safety"),
    path("language/", views.choose_language, name="language"),
    path("exit/", views.exit_this_page, name="exit"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/new-code/", views.sign_in_new_code, name="sign_in_new_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("session-ended/", views.session_ended, name="session_ended"),
    path("timed-out/", views.timed_out, name="timed_out"),
    path("stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
    path("case/", views.case_detail, name="case"),
    path("support/", views.support, name="support"),
    path("contact-preferences/", views.contact_preferences, name="contact_preferences"),
    path("how-you-hear-from-us/", views.update_agreement, name="update_agreement"),
    path(
        "how-you-hear-from-us/check/",
        views.update_agreement_check,
        name="update_agreement_check",
    ),
    path(
        "how-you-hear-from-us/done/",
        views.update_agreement_done,
        name="update_agreement_done",
    ),
    path("your-data/", views.own_copy, name="own_copy"),
    path(
        "your-data/download.html",
        views.own_copy_download_html,
        name="own_copy_download_html",
    ),
    path(
        "your-data/download.json",
        views.own_copy_download_json,
        name="own_copy_download_json",
    ),
]
