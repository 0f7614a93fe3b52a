"""Check characters of Chinese identification codes.

- 统一社会信用代码 GB 32100-2015: 18 characters; the 9th–17th embed the
  organisation code of GB 11714 with its own check character.
- 居民身份证号码 GB 11643-1999: 18 characters, ISO 7064 MOD 11-2 check.
"""

from __future__ import annotations

import datetime as dt
import re

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

# 登记管理部门代码 (first character): 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游,
# 7 宗教, 8 工会, 9 市场监管(工商), A 中央军委改革和编制办公室, N 农业, Y 其他.
CREDIT_AUTHORITIES = "123456789ANY"

_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    remainder = 11 - sum(value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def credit_code_error(code: str) -> str | None:
    """None when valid, else a Chinese message saying what is wrong."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        return "统一社会信用代码应为 18 位"
    if not _CREDIT_RE.match(code):
        return "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"
    if code[0] not in CREDIT_AUTHORITIES:
        return "统一社会信用代码第 1 位（登记管理部门代码）不正确"
    if org_code_check_char(code[8:16]) != code[16]:
        return "统一社会信用代码中的组织机构代码校验位不正确"
    if credit_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确"
    return None


def make_credit_code(authority: str, kind: str, region: str, org_body: str) -> str:
    """Build a valid code: registration authority, type, 6-digit region, 8-char organisation body."""
    base = f"{authority}{kind}{region}{org_body}{org_code_check_char(org_body)}"
    return base + credit_check_char(base)


def id_number_error(number: str) -> str | None:
    number = (number or "").strip().upper()
    if not _ID_RE.match(number):
        return "身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X"
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号码中的出生日期不正确"
    if born > dt.date.today() or born.year < 1900:
        return "身份证号码中的出生日期不正确"
    if ID_CHECK[sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11] != number[17]:
        return "身份证号码校验位不正确"
    return None


def make_id_number(region: str, born: dt.date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
