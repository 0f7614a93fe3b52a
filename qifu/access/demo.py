"""Demo dictionaries, system parameters, a security profile and a custom-scope role."""

from __future__ import annotations

from qifu.access import configuration
from qifu.access.models import Dictionary, Parameter, Role, SecurityProfile
from qifu.core import context

DICTIONARIES = {
    "enterprise_size": ("企业规模", [("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")]),
    "appeal_category": (
        "诉求类别",
        [
            ("policy", "政策咨询"),
            ("finance", "融资需求"),
            ("talent", "人才招引"),
            ("land", "用地用房"),
            ("other", "其他"),
        ],
    ),
    "policy_level": (
        "政策层级",
        [("national", "国家级"), ("provincial", "省级"), ("municipal", "市级"), ("district", "区级")],
    ),
    "service_channel": (
        "服务渠道",
        [("portal", "门户网站"), ("h5", "移动端"), ("hotline", "服务热线"), ("window", "线下窗口")],
    ),
}
PARAMETERS = [
    ("portal.hotline", "服务热线", "text", "0512-12345678", "门户页脚与诉求页显示的服务热线"),
    ("portal.service_hours", "服务时间", "text", "工作日 9:00-17:30", ""),
    ("appeal.response_hours", "诉求首次响应时限（小时）", "integer", "24", "超过时限未响应的诉求将提醒督办"),
    ("export.watermark", "导出文件附加水印", "boolean", "true", ""),
    ("enterprise.required_documents", "企业认证必传材料", "json", '["营业执照", "法定代表人身份证"]', ""),
]


def seed(ctx) -> None:
    for code, (name, items) in DICTIONARIES.items():
        if not Dictionary.objects.filter(code=code).exists():
            d = configuration.save_dictionary(
                None, code=code, name=name, items=[{"value": v, "label": label} for v, label in items]
            )
            Dictionary.objects.filter(pk=d.pk).update(is_builtin=True)
    for key, name, kind, value, description in PARAMETERS:
        if not Parameter.objects.filter(key=key).exists():
            p = configuration.save_parameter(None, key=key, name=name, kind=kind, value=value, description=description)
            Parameter.objects.filter(pk=p.pk).update(is_builtin=True)

    towns = ctx.shared.get("towns") or []
    if len(towns) >= 4 and not SecurityProfile.objects.filter(name="东部片区").exists():
        profile = SecurityProfile.objects.create(name="东部片区")
        profile.organisations.set(towns[1:4])
        staff_codes = Role.objects.get(code="district_staff").permissions
        Role.objects.create(
            code="area_officer",
            name="片区专员",
            description="按安全配置文件「东部片区」查看数据，身份证号脱敏",
            permissions=staff_codes,
            data_scope=context.SCOPE_CUSTOM,
            security_profile=profile,
            field_rules={"orgs.enterprise": {"legal_rep_id_number": "masked", "contact_phone": "masked"}},
        )
