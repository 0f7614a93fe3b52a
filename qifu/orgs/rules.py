"""The organisation-tree rules of the Oracle EBS multi-org model (seed 002).

Each rule has a code and a Chinese message that names it; ``check(org, ...)`` raises
``RuleViolation`` with the first rule the proposed node breaks. Services call it
before saving, inside their transaction, so a refused change leaves nothing behind.
"""

from __future__ import annotations

from django.db import transaction

from qifu.core.errors import RuleViolation
from qifu.orgs.models import Organisation

K = Organisation.Kind
EBS_KINDS = {K.LEGAL_ENTITY, K.OPERATING_UNIT, K.INVENTORY_ORG, K.COST_CENTRE}
# Kinds that may sit directly below each kind of parent (None: the tenant root has none).
ALLOWED_PARENTS = {
    K.ROOT: {None},
    K.BUSINESS_GROUP: {K.ROOT},
    K.LEGAL_ENTITY: {K.BUSINESS_GROUP},
    K.OPERATING_UNIT: {K.BUSINESS_GROUP, K.LEGAL_ENTITY},
    K.INVENTORY_ORG: {K.OPERATING_UNIT},
    K.COST_CENTRE: {K.LEGAL_ENTITY, K.OPERATING_UNIT, K.INVENTORY_ORG},
}

RULES = {
    "orgs.rule.le_ledger": "法人实体必须关联且只能关联一个分类账",
    "orgs.rule.ou_ledger": "业务实体必须关联且只能关联一个分类账",
    "orgs.rule.ou_le_same_ledger": "业务实体只能服务于同一分类账下的法人实体",
    "orgs.rule.inv_one_each": "库存组织必须且只能属于一个分类账、一个法人实体和一个业务实体",
    "orgs.rule.inv_consistent": "库存组织的分类账、法人实体、业务实体必须一致（法人实体与业务实体同属该分类账，且业务实体服务于该法人实体）",
    "orgs.rule.cc_legal_entity": "成本中心必须且只能属于一个法人实体",
    "orgs.rule.unique_name_in_bg": "同一业务组内组织名称不能重复",
    "orgs.rule.in_business_group": "法人实体、业务实体、库存组织与成本中心必须建在业务组之下，引用的组织须属于同一业务组",
    "orgs.rule.parent_kind": "上级组织类型不符合组织模型",
    "orgs.rule.no_cycle": "不能把组织移动到它自己或它的下级之下",
    "orgs.rule.not_ebs": "只有法人实体、业务实体、库存组织与成本中心可以关联分类账、法人实体或业务实体",
    "orgs.rule.single_root": "每个租户只有一个根组织",
    "orgs.rule.in_use": "组织仍被使用，不能删除",
}


def violation(code: str, extra: str = "") -> RuleViolation:
    message = f"违反组织规则「{RULES[code]}」" + (f"：{extra}" if extra else "")
    return RuleViolation(code, message, detail={"rule": code})


def business_group_of(org: Organisation | None, parent: Organisation | None = None) -> Organisation | None:
    """The business group a node (or a node about to be created under ``parent``) lies in."""
    node = org if org is not None and org.kind == K.BUSINESS_GROUP else parent
    if node is None and org is not None:
        node = org.parent
    path = node.path if node is not None else ""
    if node is not None and node.kind == K.BUSINESS_GROUP:
        return node
    ids = [int(p) for p in path.strip("/").split("/") if p]
    if not ids:
        return None
    return Organisation.objects.filter(pk__in=ids, kind=K.BUSINESS_GROUP).order_by("-depth").first()


def _same_bg(ref: Organisation | None, bg: Organisation | None) -> bool:
    return ref is None or (bg is not None and ref.path.startswith(bg.path))


def check(org: Organisation, *, served: list[Organisation] | None = None) -> None:
    """Refuse ``org`` (unsaved or changed, with ``parent``/relations set) if it breaks a rule.

    ``served`` is the proposed list of legal entities an operating unit serves (None: unchanged).
    """
    parent = org.parent if org.parent_id else None
    if org.kind == K.ROOT:
        if parent is not None:
            raise violation("orgs.rule.parent_kind", "根组织不能有上级")
        if Organisation.objects.filter(kind=K.ROOT).exclude(pk=org.pk).exists():
            raise violation("orgs.rule.single_root")
    elif parent is None:
        raise violation("orgs.rule.parent_kind", "除根组织外，每个组织都必须有上级")
    allowed = ALLOWED_PARENTS.get(org.kind)
    if allowed is not None and org.kind != K.ROOT and parent.kind not in allowed:
        names = "、".join(K(k).label for k in allowed if k)
        raise violation("orgs.rule.parent_kind", f"{K(org.kind).label}的上级应为{names}")
    if org.pk and parent is not None and parent.path.startswith(org.path):
        raise violation("orgs.rule.no_cycle")

    bg = business_group_of(org, parent)
    if org.kind in EBS_KINDS and bg is None:
        raise violation("orgs.rule.in_business_group")
    if org.kind not in EBS_KINDS and (org.ledger_id or org.legal_entity_id or org.operating_unit_id or served):
        raise violation("orgs.rule.not_ebs")

    if org.kind == K.LEGAL_ENTITY:
        if not org.ledger_id:
            raise violation("orgs.rule.le_ledger")
        if org.legal_entity_id or org.operating_unit_id:
            raise violation("orgs.rule.not_ebs", "法人实体不能再隶属于其他法人实体或业务实体")
        if org.pk:
            # Changing an LE's ledger must not strand the OUs and INVs tied to it.
            if org.serving_units.exclude(ledger_id=org.ledger_id).exists():
                raise violation("orgs.rule.ou_le_same_ledger", "已有其他分类账的业务实体服务于该法人实体")
            if (
                Organisation.objects.filter(legal_entity=org, kind=K.INVENTORY_ORG)
                .exclude(ledger_id=org.ledger_id)
                .exists()
            ):
                raise violation("orgs.rule.inv_consistent", "该法人实体下有属于其他分类账的库存组织")
    elif org.kind == K.OPERATING_UNIT:
        if not org.ledger_id:
            raise violation("orgs.rule.ou_ledger")
        if org.legal_entity_id or org.operating_unit_id:
            raise violation("orgs.rule.not_ebs", "业务实体通过「服务的法人实体」关联法人实体")
        entities = served if served is not None else (list(org.served_legal_entities.all()) if org.pk else [])
        for le in entities:
            if le.kind != K.LEGAL_ENTITY:
                raise violation("orgs.rule.ou_le_same_ledger", f"「{le.name}」不是法人实体")
            if le.ledger_id != org.ledger_id:
                raise violation("orgs.rule.ou_le_same_ledger", f"法人实体「{le.name}」属于其他分类账")
            if not _same_bg(le, bg):
                raise violation("orgs.rule.in_business_group", f"法人实体「{le.name}」属于其他业务组")
        if org.pk and Organisation.objects.filter(operating_unit=org).exclude(ledger_id=org.ledger_id).exists():
            raise violation("orgs.rule.inv_consistent", "该业务实体下有属于其他分类账的库存组织")
    elif org.kind == K.INVENTORY_ORG:
        if not (org.ledger_id and org.legal_entity_id and org.operating_unit_id):
            raise violation("orgs.rule.inv_one_each")
        le, ou = org.legal_entity, org.operating_unit
        if le.kind != K.LEGAL_ENTITY or ou.kind != K.OPERATING_UNIT:
            raise violation("orgs.rule.inv_one_each", "所选法人实体或业务实体类型不正确")
        if le.ledger_id != org.ledger_id or ou.ledger_id != org.ledger_id:
            raise violation("orgs.rule.inv_consistent", "法人实体或业务实体属于其他分类账")
        if not ou.served_legal_entities.filter(pk=le.pk).exists():
            raise violation("orgs.rule.inv_consistent", f"业务实体「{ou.name}」未服务于法人实体「{le.name}」")
        if parent is not None and parent.pk != ou.pk:
            raise violation("orgs.rule.inv_consistent", "库存组织应建在其业务实体之下")
        if not (_same_bg(le, bg) and _same_bg(ou, bg)):
            raise violation("orgs.rule.in_business_group")
    elif org.kind == K.COST_CENTRE:
        if not org.legal_entity_id or org.operating_unit_id:
            raise violation("orgs.rule.cc_legal_entity")
        if org.legal_entity.kind != K.LEGAL_ENTITY:
            raise violation("orgs.rule.cc_legal_entity", "所选上级法人实体类型不正确")
        if not _same_bg(org.legal_entity, bg):
            raise violation("orgs.rule.in_business_group")
        # The ledger follows the legal entity (one LE, one ledger).
        org.ledger_id = org.legal_entity.ledger_id

    check_unique_name(org, bg)


def _lock_business_group(bg: Organisation) -> None:
    """Hold the business group's row until the transaction ends: two writers checking the same name
    in one group run one after the other, so both cannot find it free (a race the check alone loses)."""
    if bg.pk and transaction.get_connection().in_atomic_block:
        list(Organisation.objects.select_for_update().filter(pk=bg.pk).values_list("pk", flat=True))


def check_unique_name(org: Organisation, bg: Organisation | None) -> None:
    if bg is None:
        return
    _lock_business_group(bg)
    clash = Organisation.objects.filter(path__startswith=bg.path, name=org.name)
    if org.kind == K.BUSINESS_GROUP and org.pk is None:
        clash = Organisation.objects.none()
    if org.pk:
        clash = clash.exclude(pk=org.pk)
    if clash.exists():
        raise violation("orgs.rule.unique_name_in_bg", f"业务组「{bg.name}」内已有名为「{org.name}」的组织")


def check_subtree_names(org: Organisation, new_bg: Organisation | None) -> None:
    """Moving a subtree into a business group: none of its names may already be used there."""
    if new_bg is None:
        return
    _lock_business_group(new_bg)
    names = list(Organisation.objects.filter(path__startswith=org.path).values_list("name", flat=True))
    clash = (
        Organisation.objects.filter(path__startswith=new_bg.path, name__in=names)
        .exclude(path__startswith=org.path)
        .values_list("name", flat=True)
        .first()
    )
    if clash:
        raise violation("orgs.rule.unique_name_in_bg", f"业务组「{new_bg.name}」内已有名为「{clash}」的组织")
