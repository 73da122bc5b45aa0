from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def service(request: HttpRequest) -> dict:
    """What the layout's phase banner needs: where feedback goes."""
    return {"feedback_url": settings.FEEDBACK_URL or reverse("pages:contact")}
