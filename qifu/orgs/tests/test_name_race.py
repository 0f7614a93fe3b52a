"""Names are unique within a business group even when two creations overlap (PostgreSQL row locks).

The first creation is held right after its name check; the second then either waits for the
business group's lock (the fix) or slips past the check and creates the same name (the race).
The test waits for one of the two to happen — no timing is assumed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from qifu.core import requestinfo, tenancy
from qifu.core.errors import RuleViolation
from qifu.orgs import rules, services
from qifu.orgs.models import Organisation

K = Organisation.Kind


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_creations_of_one_name_leave_one(cast, monkeypatch):
    with tenancy.tenant_scope(cast.tenant):
        bg = services.create_organisation(name="示范集团", kind=K.BUSINESS_GROUP, parent=cast.root)
    checked, go = threading.Event(), threading.Event()
    original = rules.check_unique_name

    def held_after_check(org, group):
        original(org, group)
        if threading.current_thread().name == "first":
            checked.set()
            go.wait()

    monkeypatch.setattr(rules, "check_unique_name", held_after_check)
    outcomes: dict[str, str] = {}

    def create(name):
        try:
            with tenancy.tenant_scope(cast.tenant), requestinfo.acting(cast.tenant_admin):
                services.create_organisation(name="财务部", kind=K.DEPARTMENT, parent=bg)
            outcomes[name] = "created"
        except RuleViolation as exc:
            outcomes[name] = exc.code
        finally:
            checked.set()  # never leave the main thread waiting on a thread that failed early
            connection.close()

    first = threading.Thread(target=create, args=("first",), name="first")
    second = threading.Thread(target=create, args=("second",), name="second")
    first.start()
    checked.wait()
    second.start()
    while second.is_alive() and not _someone_waits_for_a_lock():
        time.sleep(0.01)  # polling for a state, not measuring time
    go.set()
    first.join()
    second.join()
    with tenancy.tenant_scope(cast.tenant):
        assert Organisation.objects.filter(path__startswith=bg.path, name="财务部").count() == 1
    assert sorted(outcomes.values()) == ["created", "orgs.rule.unique_name_in_bg"]
