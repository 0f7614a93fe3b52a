"""A full form resends what it showed: a masked or emptied value is no change, and the stored
value stays (never the mask); a real change to such a field is still refused."""

from __future__ import annotations

from qifu.access.models import Role, RoleAssignment
from qifu.access.services import assign_role
from qifu.orgs import services
from qifu.orgs.models import Organisation


def _editor(cast, rules):
    RoleAssignment.objects.filter(user=cast.staff_a).delete()  # only this role: the rules are the editor's
    editor = Role.objects.create(
        code="org_editor",
        name="组织编辑",
        permissions=["orgs.organisation.view", "orgs.organisation.manage"],
        data_scope="org_and_below",
        field_rules={"orgs.organisation": rules},
    )
    assign_role(cast.staff_a, cast.town_a, editor)


def test_resending_the_masked_value_is_no_change(cast, api, in_tenant):
    dept = services.create_organisation(name="经发办", kind="department", parent=cast.town_a, code="JF-2026-001")
    _editor(cast, {"code": "masked"})
    client = api(cast.staff_a)
    shown = next(o for o in client.get("access/organisations").json() if o["id"] == dept.id)
    assert shown["code"] == "JF-****-001"
    saved = client.put(f"access/organisations/{dept.id}", {"name": "经济发展办", "code": shown["code"]})
    assert saved.status_code == 200, saved.content
    dept.refresh_from_db()
    assert (dept.name, dept.code) == ("经济发展办", "JF-2026-001")  # the mask never lands in the database
    refused = client.put(f"access/organisations/{dept.id}", {"name": "经发局", "code": "JF-2027-001"})
    assert refused.status_code == 403 and refused.json()["code"] == "access.field_read_only"
    assert Organisation.objects.get(pk=dept.pk).name == "经济发展办"


def test_resending_an_emptied_hidden_value_is_no_change(cast, api, in_tenant):
    dept = services.create_organisation(name="经发办", kind="department", parent=cast.town_a, code="JF")
    _editor(cast, {"code": "hidden"})
    client = api(cast.staff_a)
    saved = client.put(f"access/organisations/{dept.id}", {"name": "经济发展办", "code": ""})
    assert saved.status_code == 200, saved.content
    dept.refresh_from_db()
    assert (dept.name, dept.code) == ("经济发展办", "JF")
