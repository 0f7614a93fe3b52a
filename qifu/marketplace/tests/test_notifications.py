"""Who hears what and when: government staff of the enterprise's town when a subsidy awaits
verification, and the institution at each configured hour before the acceptance deadline."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.client import MULTIPART_CONTENT

from qifu.access import configuration as access_configuration
from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import tenancy
from qifu.marketplace.models import Application, ApplicationEvent
from qifu.marketplace.services import applications, catalogue
from qifu.marketplace.tests.conftest import PRODUCT, apply, pdf
from qifu.messaging.models import Message
from qifu.orgs import services as org_services

AWAITING = "marketplace.subsidy.awaiting"
REMINDER = "marketplace.application.reminder"


def _to_rating(owner, operator, pk):
    for step in ("accept", "start"):
        assert operator.post(f"marketplace/institution/applications/{pk}/{step}", {}).status_code == 200
    operator.post(
        f"marketplace/institution/applications/{pk}/evidence", {"file": pdf()}, content_type=MULTIPART_CONTENT
    )
    assert operator.post(f"marketplace/institution/applications/{pk}/complete", {}).status_code == 200
    assert owner.post(f"marketplace/my/applications/{pk}/confirm", {}).status_code == 200
    assert owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 5}).status_code == 200


def _messages(cast, event, **filters):
    with tenancy.tenant_scope(cast.tenant):
        return list(Message.objects.filter(event=event, **filters).order_by("id"))


def test_town_staff_hear_when_a_subsidy_awaits_verification(cast, api, market):
    with tenancy.tenant_scope(cast.tenant):
        # An auditor of the same town sees applications but cannot verify subsidies: not told.
        auditor = User.objects.create_user(
            username="town-auditor", password=cast.password, name="审计员", phone="13900000021", tenant=cast.tenant
        )
        org_services.add_member(auditor, cast.town_a, is_default=True)
        assign_role(auditor, cast.town_a, cast.roles[P.AUDITOR])
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    assert _messages(cast, AWAITING) == []  # nothing awaits verification yet
    _to_rating(owner, operator, pk)

    told = _messages(cast, AWAITING)
    assert [m.user_id for m in told] == [cast.staff_a.pk]
    assert "800.00" in told[0].body and market.product.name in told[0].body
    assert told[0].link == "/console/marketplace/subsidies"


def test_no_staff_message_without_a_reserved_subsidy(cast, api, market):
    with tenancy.tenant_scope(cast.tenant):
        data = {**PRODUCT, "name": "不涉及补贴的服务", "category_id": market.contract.pk, "subsidy_eligible": False}
        product = catalogue.create_product(cast.institution, data)
        catalogue.approve_revision(product.revisions.get())
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    _to_rating(owner, operator, apply(owner, product)["id"])
    assert _messages(cast, AWAITING) == []


def _deadline(cast, pk):
    with tenancy.tenant_scope(cast.tenant):
        return Application.objects.get(pk=pk).accept_deadline


def _remind(cast, now):
    with tenancy.tenant_scope(cast.tenant):
        return applications.remind_due(now=now)


def test_reminders_at_each_configured_hour_once(cast, api, market):
    pk = apply(api(cast.enterprise_owner), market.product)["id"]
    deadline = _deadline(cast, pk)
    hours = dt.timedelta(hours=1)
    assert _remind(cast, deadline - 30 * hours) == 0  # more than a day before: nothing yet
    assert _remind(cast, deadline - 20 * hours) == 1  # the 24-hour reminder
    assert _remind(cast, deadline - 20 * hours) == 0  # the job runs twice: still one
    assert _remind(cast, deadline - 3 * hours) == 0
    assert _remind(cast, deadline - 90 * dt.timedelta(minutes=1)) == 1  # the 2-hour reminder
    assert _remind(cast, deadline - 1 * hours) == 0
    assert _remind(cast, deadline + hours) == 0  # past the deadline: expiry, not reminders

    reminders = _messages(cast, REMINDER, user=cast.institution_operator)
    assert len(reminders) == 2
    with tenancy.tenant_scope(cast.tenant):
        notes = list(ApplicationEvent.objects.filter(application_id=pk, action="remind").values_list("note", flat=True))
    assert len(notes) == 2 and "24 小时" in notes[0] and "2 小时" in notes[1]


def test_a_late_job_sends_only_the_nearest_reminder(cast, api, market):
    pk = apply(api(cast.enterprise_owner), market.product)["id"]
    deadline = _deadline(cast, pk)
    assert _remind(cast, deadline - dt.timedelta(hours=1)) == 1  # both 24 h and 2 h have passed: one message
    assert _remind(cast, deadline - dt.timedelta(minutes=30)) == 0
    assert len(_messages(cast, REMINDER, user=cast.institution_operator)) == 1


def test_reminder_hours_are_a_tenant_parameter(cast, api, market):
    with tenancy.tenant_scope(cast.tenant):
        access_configuration.save_parameter(
            None, key=applications.REMINDER_PARAMETER, name="受理催办", kind="json", value="[48, 12, 1]"
        )
    pk = apply(api(cast.enterprise_owner), market.product)["id"]
    deadline = _deadline(cast, pk)
    sent = [_remind(cast, deadline - dt.timedelta(hours=h)) for h in (47, 30, 11, 3, 0.5)]
    assert sent == [1, 0, 1, 0, 1]


@pytest.mark.parametrize("value", ['"每天"', "[0, -3]", "[]", '["x", 9999]'])
def test_unusable_reminder_hours_fall_back_to_the_default(cast, api, market, value):
    with tenancy.tenant_scope(cast.tenant):
        access_configuration.save_parameter(
            None, key=applications.REMINDER_PARAMETER, name="受理催办", kind="json", value=value
        )
        assert applications.reminder_hours() == applications.DEFAULT_REMINDER_HOURS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reminders_stay_single_when_two_jobs_race(cast, api, market):
    owner = api(cast.enterprise_owner)
    pk = apply(owner, market.product)["id"]
    deadline = _deadline(cast, pk)
    now = deadline - dt.timedelta(hours=20)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def worker():
        try:
            barrier.wait()
            counts.append(_remind(cast, now))
        except BaseException:
            barrier.abort()  # never leave the other threads waiting; the missing count fails the test
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 0, 0, 1]
    assert len(_messages(cast, REMINDER, user=cast.institution_operator)) == 1
    with tenancy.tenant_scope(cast.tenant):
        assert ApplicationEvent.objects.filter(application_id=pk, action="remind").count() == 1
