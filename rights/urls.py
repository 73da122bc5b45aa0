from django.urls import path

from rights import views

app_name = "rights"

urlpatterns = [
    path("case/rights/<slug:kind>/", views.request_question, name="question"),
    path("case/rights/<slug:kind>/check/", views.request_check, name="check"),
    path("case/rights/<slug:kind>/done/", views.request_done, name="done"),
]
