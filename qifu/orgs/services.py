"""Writes for organisations, ledgers, memberships, enterprises and institutions.

Tree changes are checked against the EBS rules (``qifu.orgs.rules``) before saving.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from qifu.core import audit
from qifu.core.errors import Conflict, RuleViolation
from qifu.orgs import rules
from qifu.orgs.models import Enterprise, Institution, Ledger, Membership, Organisation

EDITABLE = ("name", "code", "sort", "is_active", "ledger", "legal_entity", "operating_unit")


def _snapshot(org: Organisation) -> dict:
    data = audit.snapshot(org)
    if org.pk:
        data["served_legal_entities"] = sorted(org.served_legal_entities.values_list("id", flat=True))
    return data


@transaction.atomic
def create_organisation(
    *,
    name: str,
    kind: str,
    parent: Organisation | None = None,
    code: str = "",
    sort: int = 0,
    ledger: Ledger | None = None,
    legal_entity: Organisation | None = None,
    operating_unit: Organisation | None = None,
    served_legal_entities: list[Organisation] | None = None,
):
    if parent is None and kind != Organisation.Kind.ROOT:
        # Without a parent a node goes under the tenant's root (the tree has one root).
        parent = Organisation.objects.filter(kind=Organisation.Kind.ROOT).first()
    org = Organisation(
        name=name,
        kind=kind,
        parent=parent,
        code=code,
        sort=sort,
        ledger=ledger,
        legal_entity=legal_entity,
        operating_unit=operating_unit,
    )
    rules.check(org, served=served_legal_entities)
    org.save()
    if served_legal_entities:
        org.served_legal_entities.set(served_legal_entities)
    audit.record("orgs.organisation.create", org, changes=audit.diff({}, _snapshot(org)))
    return org


@transaction.atomic
def update_organisation(org: Organisation, *, served_legal_entities: list[Organisation] | None = None, **changes):
    """Change name/code/sort/active and EBS relations; the kind and place in the tree stay."""
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    before = _snapshot(org)
    for key, value in changes.items():
        if key not in EDITABLE:
            raise ValueError(f"{key} is not editable here")
        setattr(org, key, value)
    rules.check(org, served=served_legal_entities)
    if served_legal_entities is not None and org.kind == Organisation.Kind.OPERATING_UNIT:
        removed = set(org.served_legal_entities.values_list("id", flat=True)) - {le.pk for le in served_legal_entities}
        stranded = Organisation.objects.filter(operating_unit=org, legal_entity_id__in=removed).first()
        if stranded is not None:
            raise rules.violation("orgs.rule.inv_consistent", f"库存组织「{stranded.name}」仍属于要移除的法人实体")
    org.save()
    if served_legal_entities is not None:
        org.served_legal_entities.set(served_legal_entities)
    after = _snapshot(org)
    audit.record("orgs.organisation.update", org, changes=audit.diff(before, after))
    return org


@transaction.atomic
def move_organisation(org: Organisation, new_parent: Organisation) -> Organisation:
    """Move a node and its subtree under ``new_parent``; descendants' paths follow."""
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    if new_parent.pk == org.pk or new_parent.path.startswith(org.path):
        raise rules.violation("orgs.rule.no_cycle")
    before = {"parent": org.parent_id, "path": org.path}
    old_bg = rules.business_group_of(org)
    org.parent = new_parent
    rules.check(org)
    new_bg = rules.business_group_of(org, new_parent)
    if new_bg != old_bg:
        if Organisation.objects.filter(path__startswith=org.path, kind__in=rules.EBS_KINDS).exists():
            # EBS relations (LE/OU/INV/ledger) are only valid within one business group.
            raise rules.violation("orgs.rule.in_business_group", "含法人实体、业务实体等的子树不能移到其他业务组")
        rules.check_subtree_names(org, new_bg)
    org.save()
    audit.record(
        "orgs.organisation.move",
        org,
        changes={
            "parent": {"before": before["parent"], "after": new_parent.pk},
            "path": {"before": before["path"], "after": org.path},
        },
    )
    return org


@transaction.atomic
def delete_organisation(org: Organisation) -> None:
    """Delete a node nobody uses; otherwise refuse and say what still uses it."""
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    uses = [
        ("下级组织", Organisation.objects.filter(parent=org).exists()),
        ("成员", Membership.objects.filter(organisation=org).exists()),
        (
            "企业档案",
            Enterprise.objects.filter(organisation=org).exists() or Enterprise.objects.filter(town=org).exists(),
        ),
        ("服务机构档案", Institution.objects.filter(organisation=org).exists()),
        (
            "库存组织或成本中心",
            Organisation.objects.filter(legal_entity=org).exists()
            or Organisation.objects.filter(operating_unit=org).exists(),
        ),
        ("服务它的业务实体", org.serving_units.exists()),
    ]
    from qifu.access.models import RoleAssignment, SecurityProfile

    uses.append(("角色分配", RoleAssignment.objects.filter(organisation=org).exists()))
    uses.append(("安全配置文件", SecurityProfile.objects.filter(organisations=org).exists()))
    used = [label for label, found in uses if found]
    if org.kind == Organisation.Kind.ROOT:
        used.insert(0, "根组织")
    if used:
        raise rules.violation("orgs.rule.in_use", "仍有" + "、".join(used) + "，请先处理或改为停用")
    snap = _snapshot(org)
    audit.record("orgs.organisation.delete", org, changes=audit.diff(snap, {}))
    org.served_legal_entities.clear()
    try:
        with transaction.atomic():
            org.delete()
    except (ProtectedError, RestrictedError) as exc:
        # Another capability's rows still point at this organisation.
        kinds = sorted(
            {str(o._meta.verbose_name) for o in exc.protected_objects} if hasattr(exc, "protected_objects") else set()
        )
        kinds = kinds or sorted({str(o._meta.verbose_name) for o in getattr(exc, "restricted_objects", [])})
        raise rules.violation("orgs.rule.in_use", "仍有" + "、".join(kinds) + "引用该组织，请先处理或改为停用")


@transaction.atomic
def create_ledger(*, name: str, currency: str = "CNY", calendar: str = "月历") -> Ledger:
    if Ledger.objects.filter(name=name).exists():
        raise Conflict("orgs.ledger_name_taken", f"已有名为「{name}」的分类账")
    ledger = Ledger.objects.create(name=name, currency=currency.upper(), calendar=calendar)
    audit.record("orgs.ledger.create", ledger, changes=audit.diff({}, audit.snapshot(ledger)))
    return ledger


@transaction.atomic
def update_ledger(ledger: Ledger, **changes) -> Ledger:
    ledger = Ledger.objects.select_for_update().get(pk=ledger.pk)
    before = audit.snapshot(ledger)
    if "name" in changes and Ledger.objects.filter(name=changes["name"]).exclude(pk=ledger.pk).exists():
        raise Conflict("orgs.ledger_name_taken", f"已有名为「{changes['name']}」的分类账")
    if "currency" in changes and changes["currency"].upper() != ledger.currency and ledger.organisations.exists():
        raise RuleViolation("orgs.ledger_in_use", "分类账已被组织使用，不能修改币种")
    for key in ("name", "currency", "calendar"):
        if key in changes and changes[key] is not None:
            setattr(ledger, key, changes[key].upper() if key == "currency" else changes[key])
    ledger.save()
    audit.record("orgs.ledger.update", ledger, changes=audit.diff(before, audit.snapshot(ledger)))
    return ledger


@transaction.atomic
def add_member(user, organisation: Organisation, *, is_default: bool = False, title: str = "") -> Membership:
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"is_default": is_default, "title": title}
    )
    if created:
        if is_default:
            Membership.objects.filter(user=user).exclude(pk=membership.pk).update(is_default=False)
        audit.record("orgs.membership.create", membership, object_repr=f"{user} @ {organisation}")
    return membership


@transaction.atomic
def set_default_membership(user, organisation: Organisation) -> Membership:
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    if membership is None:
        raise RuleViolation("orgs.not_member", "该用户不属于此组织，请先加入组织")
    before = Membership.objects.filter(user=user, is_default=True).values_list("organisation_id", flat=True).first()
    Membership.objects.filter(user=user).update(is_default=False)
    Membership.objects.filter(pk=membership.pk).update(is_default=True)
    audit.record(
        "orgs.membership.default",
        membership,
        object_repr=f"{user} @ {organisation}",
        changes={"default_organisation": {"before": before, "after": organisation.pk}},
    )
    return membership


@transaction.atomic
def remove_member(membership: Membership) -> None:
    from qifu.access.models import RoleAssignment

    if RoleAssignment.objects.filter(user=membership.user, organisation=membership.organisation).exists():
        raise RuleViolation("orgs.member_has_roles", "该用户在此组织仍有角色，请先收回角色")
    audit.record("orgs.membership.delete", membership, object_repr=f"{membership.user} @ {membership.organisation}")
    membership.delete()


@transaction.atomic
def create_enterprise(*, name: str, parent: Organisation, **fields) -> Enterprise:
    """An enterprise and its own organisation node (under ``parent``, usually the tenant root)."""
    org = Organisation.objects.create(name=name, kind=Organisation.Kind.ENTERPRISE, parent=parent)
    enterprise = Enterprise.objects.create(organisation=org, name=name, **fields)
    audit.record("orgs.enterprise.create", enterprise, changes=audit.diff({}, audit.snapshot(enterprise)))
    return enterprise


@transaction.atomic
def create_institution(*, name: str, kind: str, parent: Organisation, **fields) -> Institution:
    org = Organisation.objects.create(name=name, kind=Organisation.Kind.INSTITUTION, parent=parent)
    institution = Institution.objects.create(organisation=org, name=name, kind=kind, **fields)
    audit.record("orgs.institution.create", institution, changes=audit.diff({}, audit.snapshot(institution)))
    return institution
