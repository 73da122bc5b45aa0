from django.urls import path

from notifications import views

urlpatterns = [
    path("notify/receipts", views.notify_receipt, name="notify-receipt"),
]
