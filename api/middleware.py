from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiRequiresHttpsMiddleware:
    """Refuse plain HTTP under /api/ wherever the site redirects it to HTTPS.

    A redirect would be wrong for an API: the token has already crossed the network
    in clear, and clients resend a POST's body, or turn it into a GET, when they
    follow one. This sits ahead of SecurityMiddleware and answers with a 403 first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and settings.SECURE_SSL_REDIRECT
            and not request.is_secure()
        ):
            return JsonResponse(
                {
                    "detail": "This API only answers over HTTPS; use https://.",
                    "code": "https_required",
                },
                status=403,
            )
        return self.get_response(request)
