"""Access-sweep rows of roles, assignments, security profiles and configuration (see qifu.core.testing.sweep_world).

Roles and profiles are written directly: the grant guard of the services judges the acting
request's permission, which a fixture does not have, and is not what the sweep tests."""

from __future__ import annotations

from qifu.access import configuration
from qifu.access.models import Role, RoleAssignment, SecurityProfile, UserSecurityProfile
from qifu.core import context
from qifu.core.testing.sweep_world import fixture


@fixture("access.role")
def role(world):
    # A custom role of the tenant (not a built-in one, which some operations treat specially).
    return Role.objects.create(code="sweep-role", name="巡检角色", permissions=[], data_scope=context.SCOPE_SELF)


@fixture("access.roleassignment")
def role_assignment(world):
    return RoleAssignment.objects.get(user=world.enterprise_owner, organisation=world.enterprise.organisation)


@fixture("access.securityprofile")
def security_profile(world):
    profile = SecurityProfile.objects.create(name="巡检安全配置")
    profile.organisations.set([world.town])
    return profile


@fixture("access.usersecurityprofile")
def user_security_profile(world):
    member = world.person("profiled", "挂安全配置的用户", world.town, None, actor=False)
    return UserSecurityProfile.objects.create(user=member, profile=world.row("access.securityprofile"))


@fixture("access.dictionary")
def dictionary(world):
    return configuration.save_dictionary(
        None,
        code=f"sweep_{world.name}",
        name="巡检字典",
        items=[{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}],
    )


@fixture("access.parameter")
def parameter(world):
    return configuration.save_parameter(None, key="sweep.limit", name="巡检参数", kind="integer", value="3")
