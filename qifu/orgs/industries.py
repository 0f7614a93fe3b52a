"""GB/T 4754-2017 国民经济行业分类: all 门类 and the 大类 a district platform meets most.

Besides the data, the checks every capability that names industries shares: ``known_codes`` (which
codes exist — policies' eligibility rules, messaging's industry segments) and ``subtree`` (the
enterprises a code covers).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

SECTIONS = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
]

DIVISIONS = [
    ("A", "01", "农业"),
    ("A", "03", "畜牧业"),
    ("C", "13", "农副食品加工业"),
    ("C", "14", "食品制造业"),
    ("C", "17", "纺织业"),
    ("C", "18", "纺织服装、服饰业"),
    ("C", "22", "造纸和纸制品业"),
    ("C", "26", "化学原料和化学制品制造业"),
    ("C", "27", "医药制造业"),
    ("C", "29", "橡胶和塑料制品业"),
    ("C", "30", "非金属矿物制品业"),
    ("C", "33", "金属制品业"),
    ("C", "34", "通用设备制造业"),
    ("C", "35", "专用设备制造业"),
    ("C", "36", "汽车制造业"),
    ("C", "38", "电气机械和器材制造业"),
    ("C", "39", "计算机、通信和其他电子设备制造业"),
    ("C", "40", "仪器仪表制造业"),
    ("D", "44", "电力、热力生产和供应业"),
    ("E", "47", "房屋建筑业"),
    ("E", "48", "土木工程建筑业"),
    ("F", "51", "批发业"),
    ("F", "52", "零售业"),
    ("G", "54", "道路运输业"),
    ("G", "59", "装卸搬运和仓储业"),
    ("H", "61", "住宿业"),
    ("H", "62", "餐饮业"),
    ("I", "63", "电信、广播电视和卫星传输服务"),
    ("I", "64", "互联网和相关服务"),
    ("I", "65", "软件和信息技术服务业"),
    ("J", "66", "货币金融服务"),
    ("K", "70", "房地产业"),
    ("L", "71", "租赁业"),
    ("L", "72", "商务服务业"),
    ("M", "73", "研究和试验发展"),
    ("M", "74", "专业技术服务业"),
    ("M", "75", "科技推广和应用服务业"),
    ("N", "77", "生态保护和环境治理业"),
    ("O", "80", "居民服务业"),
    ("P", "83", "教育"),
    ("Q", "84", "卫生"),
    ("R", "87", "文化艺术业"),
]


def ensure_industries() -> int:
    from qifu.orgs.models import Industry

    if Industry.objects.count() >= len(SECTIONS) + len(DIVISIONS):
        return 0
    sections = {}
    for code, name in SECTIONS:
        sections[code], _ = Industry.objects.get_or_create(code=code, defaults={"name": name, "level": 1})
    for section, code, name in DIVISIONS:
        Industry.objects.get_or_create(code=code, defaults={"name": name, "level": 2, "parent": sections[section]})
    return Industry.objects.count()


@cache
def _listed() -> frozenset[str]:
    return frozenset([code for code, _ in SECTIONS] + [code for _, code, _ in DIVISIONS])


def known_codes(codes: set[str]) -> set[str]:
    """Those of ``codes`` that are in the GB/T 4754 table: a listed 门类/大类 or a row of the shared
    ``Industry`` table (which may carry finer codes than the list)."""
    from qifu.orgs.models import Industry  # shared table, not tenant-owned

    known = codes & _listed()
    rest = codes - known
    if rest:
        known |= set(Industry.objects.filter(code__in=rest).values_list("code", flat=True))
    return known


def subtree(codes: Iterable[str], field: str = "industry"):
    """A filter for rows whose ``field`` (an FK to ``Industry``) lies under any of ``codes``.

    Numeric codes nest by prefix (大类 "39" ⊃ 中类 "391"), but a 门类 letter is no prefix of its 大类
    ("C" is the parent of "39"): a 门类 covers itself and, by prefix, each of its 大类 — from the list
    and from the table's rows under it."""
    from django.db.models import Q

    from qifu.orgs.models import Industry

    codes = list(dict.fromkeys(codes))
    if not codes:
        return Q(pk__in=[])  # no code covers nothing (an empty Q would match every row)
    sections = [c for c in codes if c.isalpha()]
    prefixes = [c for c in codes if not c.isalpha()]
    q = Q(**{f"{field}__code__in": sections}) if sections else Q()
    if sections:
        prefixes += [code for section, code, _ in DIVISIONS if section in sections]
        prefixes += list(Industry.objects.filter(parent__code__in=sections).values_list("code", flat=True))
    for prefix in dict.fromkeys(prefixes):
        q |= Q(**{f"{field}__code__startswith": prefix})
    return q
