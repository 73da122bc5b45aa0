from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.victim_messages, name="victim_messages"),
]
