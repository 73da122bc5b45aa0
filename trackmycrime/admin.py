from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Password plus one code on a single page.

    django-otp asks for the device to be chosen; a six-digit code comes from the
    authenticator app and anything else is a backup code, so the choice is made from
    the code itself and only that device records a failed attempt.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = _("Security code")
        self.fields["otp_token"].help_text = _(
            "The 6-digit code from your authenticator app, or one of your backup codes."
        )

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None:
            return device
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
        return model.objects.filter(user=user, confirmed=True).first()


class StaffAdminSite(OTPAdminSite):
    """The back office: a password alone never gets in, a one-time code is required.

    Its home page is "My work": what the signed-in officer has to do next, or, for a
    supervisor, what the whole force has to do.
    """

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"
    # The case list needs the width at 1280 px; the home page lists every section.
    enable_nav_sidebar = False
    site_header = _("Track My Crime back office")
    site_title = _("Track My Crime")
    index_title = _("My work")

    def index(self, request, extra_context=None):
        from cases.selectors import my_work

        user = request.user
        context = dict(extra_context or {})
        if user.force_id is not None and user.has_perm("cases.view_case"):
            context["work"] = my_work(
                user=user, force_wide=user.has_perm("cases.view_code_compliance")
            )
        return super().index(request, context)
