from django.urls import path

from victims import views

app_name = "victims"

urlpatterns = [
    path("", views.start, name="start"),
    path("safety/", views.safety, name="safety"),
    path("exit/", views.exit_this_page, name="exit"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/new-code/", views.sign_in_new_code, name="sign_in_new_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("session-ended/", views.session_ended, name="session_ended"),
    path("case/", views.case_detail, name="case"),
    path("support/", views.support, name="support"),
    path("contact-preferences/", views.contact_preferences, name="contact_preferences"),
]
