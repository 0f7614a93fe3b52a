import pytest

from qifu.core import tenancy
from qifu.orgs.models import Enterprise


def test_query_outside_a_tenant_scope_raises(cast):
    with pytest.raises(tenancy.TenantScopeError):
        list(Enterprise.objects.all())


def test_scope_restricts_to_the_active_tenant(cast):
    with tenancy.tenant_scope(cast.tenant):
        names = set(Enterprise.objects.values_list("name", flat=True))
    assert cast.enterprise_a.name in names
    assert cast.other_enterprise.name not in names
    with tenancy.tenant_scope(cast.other_tenant):
        assert list(Enterprise.objects.values_list("name", flat=True)) == [cast.other_enterprise.name]


def test_all_tenants_is_explicit(cast):
    with tenancy.all_tenants():
        assert Enterprise.objects.count() == 3
        with pytest.raises(tenancy.TenantScopeError):
            tenancy.current_tenant()


def test_saving_a_row_of_another_tenant_is_refused(cast):
    with tenancy.tenant_scope(cast.tenant), pytest.raises(tenancy.TenantScopeError):
        cast.other_enterprise.name = "篡改"
        cast.other_enterprise.save()


def test_new_rows_take_the_active_tenant(cast):
    from qifu.orgs import services
    from qifu.orgs.models import Organisation

    with tenancy.tenant_scope(cast.other_tenant):
        org = services.create_organisation(name="乙园区一号楼", kind=Organisation.Kind.DEPARTMENT)
    assert org.tenant_id == cast.other_tenant.id


def test_api_request_from_another_tenant_host_is_refused(cast, api):
    client = api(cast.staff_a, host="beta.test")
    response = client.get("access/enterprises")
    assert response.status_code == 403
    assert response.json()["code"] == "tenancy.forbidden"


def test_host_selects_the_tenant_for_anonymous_reads(cast, api):
    assert api(None, host="beta.test").get("platform/site").json()["tenant_code"] == "beta"
    assert api(None, host="alpha.test").get("platform/site").json()["tenant_code"] == "alpha"


def test_tenant_owned_rows_record_who_created_and_changed_them(cast):
    from qifu.core import requestinfo
    from qifu.orgs import services
    from qifu.orgs.models import Organisation

    with tenancy.tenant_scope(cast.tenant), requestinfo.acting(user=cast.tenant_admin):
        org = services.create_organisation(name="新建部门", kind=Organisation.Kind.DEPARTMENT)
    assert org.created_by_id == org.updated_by_id == cast.tenant_admin.id
    with tenancy.tenant_scope(cast.tenant), requestinfo.acting(user=cast.staff_a):
        org.name = "改名部门"
        org.save()
    org.refresh_from_db()
    assert (org.created_by_id, org.updated_by_id) == (cast.tenant_admin.id, cast.staff_a.id)
    with tenancy.tenant_scope(cast.tenant):  # no acting user (a system job): nothing is invented
        system = services.create_organisation(name="系统部门", kind=Organisation.Kind.DEPARTMENT)
    assert system.created_by_id is None
