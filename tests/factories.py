import datetime

import factory
from django.middleware.csrf import CSRF_SESSION_KEY
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import groups_ensure
from cases.constants import OffenceCategory
from cases.models import Case, Force, normalise_crime_reference
from victims.constants import ContactPreference
from victims.models import CaseVictim, Victim


class ForceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Force
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Force {n} Police")
    code = factory.Sequence(lambda n: f"f{n}")
    crime_reference_pattern = r"^[A-Z]{2}\d{5}\d{2}$"
    crime_reference_example = "AB/01234/26"
    contact_phone = "101"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Officer{n}")
    force = factory.SubFactory(ForceFactory)
    is_staff = True
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            groups_ensure()
            self.groups.add(Group.objects.get(name=extracted))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    force = factory.SubFactory(ForceFactory)
    crime_reference = factory.Sequence(lambda n: f"AB/{n:05d}/26")
    crime_reference_normalised = factory.LazyAttribute(
        lambda case: normalise_crime_reference(case.crime_reference)
    )
    offence_category = OffenceCategory.BURGLARY
    victim_description = "Burglary at your home"
    # Reported a while ago, so that tests may date events in the past.
    reported_on = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=400)
    )


class VictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Victim

    force = factory.SubFactory(ForceFactory)
    full_name = factory.Sequence(lambda n: f"Victim Person{n}")
    email = factory.Sequence(lambda n: f"victim{n}@example.com")
    mobile = "+447400123456"
    contact_preference = ContactPreference.EMAIL_AND_SMS


class CaseVictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseVictim

    case = factory.SubFactory(CaseFactory)
    victim = factory.SubFactory(
        VictimFactory, force=factory.SelfAttribute("..case.force")
    )


def verified_staff_client(client, user):
    """Sign `user` in to the back office as if they had given password and code."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    # The CSRF token a real sign-in would have put in the session.
    session[CSRF_SESSION_KEY] = get_random_string(32)
    session.save()
    return client


def backup_codes(user, count=3):
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [f"code{n}{user.pk}" for n in range(count)]
    for code in codes:
        device.token_set.create(token=code)
    return codes
