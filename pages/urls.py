from django.urls import path

from pages import views

app_name = "pages"

urlpatterns = [
    path(
        "accessibility-statement/",
        views.accessibility_statement,
        name="accessibility_statement",
    ),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("help/", views.help_page, name="help"),
    path("contact/", views.contact, name="contact"),
]
