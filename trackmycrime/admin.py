from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from trackmycrime.admin_scoping import KnownChoicesFieldListFilter, ValidatedInputAdmin

SIGN_IN_FAILED = _(
    "The username, password or security code is not right. Check them and try "
    "again. After too many tries, signing in is paused for a while."
)


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Password plus one code on a single page.

    django-otp asks for the device to be chosen; a six-digit code comes from the
    authenticator app and anything else is a backup code, so the choice is made from
    the code itself and only that device records a failed attempt.

    Whichever of the password and the code was wrong, the answer is the same, and
    it counts as one failed sign-in (django-axes counts `user_login_failed`), so
    that a password cannot be guessed apart from the second factor.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = _("Security code")
        self.fields["otp_token"].help_text = _(
            "The 6-digit code from your authenticator app, or one of your backup codes."
        )

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if self.user_cache is not None:
                # The password was right but the code (or the account) was not:
                # Django sends no failure signal for that, so send it here.
                user_login_failed.send(
                    sender=type(self),
                    credentials={"username": self.cleaned_data.get("username")},
                    request=self.request,
                )
                self.user_cache = None
            raise ValidationError(SIGN_IN_FAILED, code="invalid_login") from None

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

    def register(self, model_or_iterable, admin_class=None, **options):
        """Register as Django does, with every list's input checked
        (ValidatedInputAdmin) whichever app's admin it is, axes' included."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ValidatedInputAdmin):
            admin_class = type(
                admin_class.__name__,
                (ValidatedInputAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def index(self, request, extra_context=None):
        from cases.selectors import WORK_LIST_LENGTH, my_work
        from conversations.selectors import officer_inbox, waiting_counts

        user = request.user
        context = dict(extra_context or {})
        if user.force_id is not None and user.has_perm("cases.view_case"):
            force_wide = user.has_perm("cases.view_code_compliance")
            context["work"] = my_work(user=user, force_wide=force_wide)
            if user.has_perm("conversations.view_conversation"):
                # The officer's own cases' messages, for a supervisor too: the
                # force's are a click away in the inbox.
                context["messages_waiting"] = waiting_counts(
                    user=user, force_wide=False
                )
                context["messages_inbox"] = officer_inbox(
                    user=user, force_wide=False, limit=WORK_LIST_LENGTH
                )
        return super().index(request, context)


# Every list filter on a field with choices, in every admin: an unknown value is the
# admin's "invalid lookup" answer, not an empty list (as Django registers its own).
FieldListFilter.register(
    lambda field: bool(field.choices), KnownChoicesFieldListFilter, take_priority=True
)
