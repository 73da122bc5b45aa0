"""Measure the staff case list at a force's size, in-process through Django's client.

The admin list is what an officer waits for dozens of times a day: its default page,
a search by crime reference and a filter by stage must stay fast at a million cases.
"""

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import User
from bench.data import bench_force, bench_reference
from bench.timing import count_queries, time_calls


def _staff_client(force) -> Client:
    user, _ = User.objects.get_or_create(
        username="bench.officer",
        defaults={"force": force, "is_staff": True, "is_superuser": True},
    )
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def measure_admin_case_list(*, case_count: int, repeat: int = 30) -> dict:
    force = bench_force()
    client = _staff_client(force)
    reference = bench_reference(max(1, case_count // 2)).lower().replace("/", " ")

    def get(params: dict):
        def call():
            response = client.get("/admin/cases/case/", params)
            assert response.status_code == 200, response.status_code

        return call

    return {
        "default_page": time_calls(get({}), repeat=repeat),
        "search_by_reference": time_calls(get({"q": reference}), repeat=repeat),
        "filter_by_stage": time_calls(get({"stage__exact": "charged"}), repeat=repeat),
    }


def measure_officer_pages(*, repeat: int = 30) -> dict:
    """The back office's home ("My work", force-wide as a supervisor sees it), the
    Victims' Code compliance page for a year, and the inbox of victims' messages
    waiting for a reply across the force, at the force's size."""
    client = _staff_client(bench_force())

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return call

    return {
        "my_work": time_calls(get("/admin/"), repeat=repeat),
        "compliance": time_calls(
            get("/admin/cases/case/compliance/?days=365"), repeat=repeat
        ),
        "messages_inbox": time_calls(get(INBOX), repeat=repeat),
    }


INBOX = "/admin/conversations/conversation/inbox/?all=1"


def inbox_queries() -> int:
    """How many queries the force-wide inbox makes: the same at any size."""
    client = _staff_client(bench_force())

    def call():
        assert client.get(INBOX).status_code == 200

    call()
    return count_queries(call)
