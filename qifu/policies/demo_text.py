"""Bodies of demo (and benchmark) policies, composed from a template's own fields.

Each body is built from what the template says — its summary, its eligibility rule (read out
with the same wording the portal shows), its support type and amount range — plus the level,
department, year and application window of the policy, with wording, tiers, materials and
contact details drawn from ``rng``. The same seed gives the same bodies; two policies of one
template read differently, as real documents of one kind do.
"""

from __future__ import annotations

import datetime as dt
import html
import random
from decimal import Decimal

BASIS = {
    "national": [
        "根据《中华人民共和国中小企业促进法》和国务院有关决策部署",
        "为贯彻落实党中央、国务院关于促进民营经济发展壮大的部署要求",
        "依据《中华人民共和国科学技术进步法》及相关财税政策规定",
    ],
    "provincial": [
        "为贯彻落实国家有关政策和省委、省政府关于推动高质量发展的部署",
        "根据《省促进中小企业发展条例》等规定，结合全省实际",
        "为加快建设现代化产业体系，经省政府同意",
    ],
    "city": [
        "为落实国家和省有关政策，进一步优化全市营商环境",
        "根据市委、市政府关于稳增长促发展的工作安排",
        "为加快推进产业转型升级，结合本市实际",
    ],
    "district": [
        "为落实上级有关政策，持续优化区域营商环境",
        "经区政府常务会议研究同意，结合本区产业发展实际",
        "为进一步激发市场主体活力，助力辖区企业高质量发展",
    ],
}
AIMS = ["现就有关事项通知如下。", "制定本办法。", "特制定本实施细则。", "现将有关事项明确如下。"]
MATERIALS = {
    "common": ["申报表及信用承诺书", "营业执照（或统一社会信用代码证）复印件", "法定代表人身份证明"],
    "grant": ["项目投资明细及发票", "项目实施方案", "上年度财务审计报告", "资金使用计划"],
    "reward": ["认定或获奖证书复印件", "上年度财务报表", "企业发展情况说明"],
    "tax": ["研发项目立项文件", "研发费用辅助账", "企业所得税年度纳税申报表"],
    "finance": ["借款合同及放款凭证", "银行付息清单", "贷款用途说明"],
    "qualification": ["企业基本情况表", "知识产权证明材料", "研发人员名单及社保缴纳证明"],
    "talent": ["人才学历学位证书", "劳动合同及社保缴纳记录", "个人所得税完税证明"],
    "service": ["服务合同", "服务成果证明", "费用支付凭证"],
    "other": ["相关证明材料"],
}
CHANNELS = [
    "企业登录企业综合服务平台“政策服务”栏目在线申报，无需报送纸质材料",
    "企业在线填报并上传材料，由所在镇（街道）初审后报送",
    "企业通过平台在线申报，受理后进入部门联审",
]
REVIEW = ["会同财政部门组织专家评审", "组织第三方机构进行现场核查", "经部门联审并公示无异议后"]
UNITS = ["企业服务科", "政策法规科", "产业发展科", "综合业务科"]


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _fmt(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def _standard(support: str, amount: tuple[float, float] | None, rng: random.Random) -> list[str]:
    if amount is None:
        return [
            "按照国家税收政策规定执行，企业自行申报享受，主管税务机关加强辅导和后续管理。",
            rng.choice(["符合条件的企业可在预缴申报时享受。", "企业可在年度汇算清缴时统一享受。"]),
        ]
    low, high = Decimal(str(amount[0])), Decimal(str(amount[1]))
    tiers = rng.choice([1, 2, 3])
    if tiers == 1 or high <= low:
        return [f"符合条件的企业最高可获得{_fmt(high)}万元支持，具体按实际投入和评审结果确定。"]
    step = (high - low) / tiers
    lines = []
    for i in range(tiers):
        top = (low + step * (i + 1)).quantize(Decimal("1") if high >= 10 else Decimal("0.01"))
        what = ["认定为市级以上", "获评省级以上", "首次获得", "规模或投入达到相应标准"][(i + rng.randint(0, 3)) % 4]
        lines.append(f"{what}的企业，给予不超过{_fmt(top)}万元的{'奖励' if support == 'reward' else '支持'}；")
    lines.append(f"同一企业同一年度累计支持不超过{_fmt(high)}万元，已享受同类政策的不重复支持。")
    return lines


def _who(condition_lines: list[str]) -> list[str]:
    lines = ["在本辖区依法登记注册、具有独立法人资格、生产经营正常的企业"]
    for line in condition_lines:
        line = line.strip("\u3000 ：")
        if not line:
            continue
        if "失信记录" in line:
            lines.append("近三年无严重违法失信记录，未被列入经营异常名录")
        else:
            lines.append(line)
    return lines


def compose_body(
    template: tuple,
    *,
    level: str,
    department: str,
    published: dt.date,
    apply_start: dt.date | None,
    apply_end: dt.date | None,
    condition_lines: list[str],
    rng: random.Random,
) -> str:
    """The HTML body of one demo policy (escaped text in a fixed set of tags)."""
    _name, _patterns, support, _tags, amount, _industries, _rule, summary = template
    e = html.escape
    parts = [f"<h3>一、政策依据</h3><p>{e(rng.choice(BASIS[level]))}，{e(summary)}{e(rng.choice(AIMS))}</p>"]
    who = "".join(f"<li>{e(line)}；</li>" for line in _who(condition_lines))
    parts.append(f"<h3>二、支持对象和条件</h3><ol>{who}</ol>")
    standard = "".join(f"<p>{e(line)}</p>" for line in _standard(support, amount, rng))
    parts.append(f"<h3>三、支持标准</h3>{standard}")
    pool = MATERIALS.get(support, MATERIALS["other"])
    materials = MATERIALS["common"] + rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
    parts.append("<h3>四、申报材料</h3><ol>" + "".join(f"<li>{e(m)}；</li>" for m in materials) + "</ol>")
    if apply_start and apply_end:
        window = f"申报时间为{_day(apply_start)}至{_day(apply_end)}，逾期不予受理。"
    else:
        window = "本政策实行常年受理，企业可随时申报。"
    parts.append(
        f"<h3>五、申报程序</h3><p>{e(window)}{e(rng.choice(CHANNELS))}。{e(department)}{e(rng.choice(REVIEW))}，"
        f"按程序拨付资金或办理相关事项。</p>"
    )
    phone = f"0512-{rng.randint(6000, 6999)}{rng.randint(1000, 9999)}"
    parts.append(
        f"<h3>六、其他事项</h3><p>企业对申报材料的真实性负责，弄虚作假的追回已拨付资金并纳入信用记录。"
        f"本政策自{_day(published)}起施行，由{e(department)}负责解释。</p>"
        f"<p>咨询电话：{e(department)}{e(rng.choice(UNITS))}，{phone}。</p>"
    )
    return "\n".join(parts)
