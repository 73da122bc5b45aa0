from django.urls import path

from feedback import public, views

app_name = "feedback"

urlpatterns = [
    path("how-we-are-doing/", public.public_index, name="public_index"),
    path("how-we-are-doing/<slug:code>/", public.public_force, name="public_force"),
    path("your-say/", views.survey, name="survey"),
    path("your-say/no-thanks/", views.dismiss, name="dismiss"),
    path("your-say/thank-you/", views.thanks, name="thanks"),
    path(
        "your-say/after-signing-out/",
        views.survey_after_sign_out,
        name="after_sign_out",
    ),
    path(
        "your-say/after-signing-out/no-thanks/",
        views.dismiss_after_sign_out,
        name="dismiss_after_sign_out",
    ),
    path(
        "your-say/<str:channel>/",
        views.invitation,
        name="invitation",
    ),
]
