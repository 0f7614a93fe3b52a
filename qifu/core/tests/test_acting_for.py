"""RequestContext.acting_enterprise / acting_institution: who the user acts for, one lookup for every capability."""

import pytest
from django.test import RequestFactory

from qifu.core.context import RequestContext
from qifu.core.errors import ApiError


def _ctx(user, tenant):
    request = RequestFactory().get("/")
    request.session = {}
    return RequestContext(request=request, user=user, tenant=tenant)


def test_enterprise_owner_acts_for_their_enterprise(cast, in_tenant):
    assert _ctx(cast.enterprise_owner, cast.tenant).acting_enterprise() == cast.enterprise_a
    with pytest.raises(ApiError) as err:
        _ctx(cast.enterprise_owner, cast.tenant).acting_institution()
    assert (err.value.code, err.value.status) == ("auth.institution_required", 403)


def test_callers_choose_their_refusal(cast, in_tenant):
    with pytest.raises(ApiError) as err:
        _ctx(cast.staff_a, cast.tenant).acting_enterprise(code="policies.no_enterprise", message="请切换", status=422)
    assert (err.value.code, err.value.message, err.value.status) == ("policies.no_enterprise", "请切换", 422)


def test_institution_and_the_approved_only_rule(cast, in_tenant):
    ctx = _ctx(cast.institution_admin, cast.tenant)
    assert ctx.acting_institution(approved_only=True) == cast.institution
    cast.institution.status = "pending"
    cast.institution.save()
    assert _ctx(cast.institution_admin, cast.tenant).acting_institution() == cast.institution
    with pytest.raises(ApiError):
        _ctx(cast.institution_admin, cast.tenant).acting_institution(approved_only=True)


def test_the_row_is_read_fresh_after_a_write_in_the_same_request(cast, in_tenant):
    ctx = _ctx(cast.enterprise_owner, cast.tenant)
    assert ctx.acting_enterprise().certification == "certified"
    type(cast.enterprise_a).objects.filter(pk=cast.enterprise_a.pk).update(certification="pending")
    assert ctx.acting_enterprise().certification == "pending"
