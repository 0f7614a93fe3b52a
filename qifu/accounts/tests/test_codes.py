"""GB 32100 credit codes and GB 11643 ID numbers: check characters computed here, from the
standards' weights, never taken from a list; every single-character alteration fails."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from qifu.orgs.codes import CREDIT_CHARSET, credit_code_error, id_number_error, make_credit_code, make_id_number


def gb32100_check(first17: str) -> str:
    """The standard's algorithm, written independently of qifu.orgs.codes."""
    weights = [pow(3, i, 31) for i in range(17)]  # 3^i mod 31: 1, 3, 9, 27, 19, 26, ...
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, weights, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def gb11714_check(body8: str) -> str:
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    c9 = 11 - sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def gb11643_check(first17: str) -> str:
    weights = [pow(2, 17 - i, 11) for i in range(17)]  # 2^(18-n) mod 11 for positions n = 1..17
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def random_credit_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org = body + gb11714_check(body)
    first17 = rng.choice("91Y") + rng.choice("123") + f"{rng.randint(110000, 659999)}" + org
    return first17 + gb32100_check(first17)


@pytest.mark.parametrize("seed", range(40))
def test_computed_credit_codes_are_valid(seed):
    code = random_credit_code(random.Random(seed))
    assert credit_code_error(code) is None, code


def test_make_credit_code_agrees_with_the_standard():
    code = make_credit_code("9", "1", "320505", "MA1X2Y3Q")
    assert code[16] == gb11714_check("MA1X2Y3Q")
    assert code[17] == gb32100_check(code[:17])


@pytest.mark.parametrize("seed", range(10))
def test_every_single_character_alteration_fails(seed):
    code = random_credit_code(random.Random(1000 + seed))
    for position in range(18):
        for replacement in CREDIT_CHARSET:
            if replacement == code[position]:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            assert credit_code_error(altered) is not None, (code, altered)


def test_embedded_organisation_code_check_is_enforced():
    body = "MA2Q7K8L"
    wrong_org_check = next(c for c in "0123456789X" if c != gb11714_check(body))
    first17 = "91320505" + body + wrong_org_check
    code = first17 + gb32100_check(first17)  # the outer check character is right
    assert credit_code_error(code) == "统一社会信用代码中的组织机构代码校验位不正确"


@pytest.mark.parametrize(
    "code, message",
    [
        ("9132050", "统一社会信用代码应为 18 位"),
        ("91320505MA1X2Y3QZ0", "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"),
        ("91320505MA1X2YOQ20", "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"),
        ("9132O505MA1X2Y3Q20", "统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"),
    ],
)
def test_credit_code_format_errors(code, message):
    assert credit_code_error(code) == message


def test_lower_case_is_accepted_as_upper():
    code = make_credit_code("9", "1", "320505", "MA1X2Y3Q")
    assert credit_code_error(code.lower()) is None


@pytest.mark.parametrize("seed", range(20))
def test_computed_id_numbers_are_valid_and_alterations_fail(seed):
    rng = random.Random(seed)
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))
    first17 = f"{rng.randint(110000, 659999)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    number = first17 + gb11643_check(first17)
    assert id_number_error(number) is None
    assert make_id_number(first17[:6], born, int(first17[14:17])) == number
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == number[position] or (replacement == "X" and position < 17):
                continue
            altered = number[:position] + replacement + number[position + 1 :]
            assert id_number_error(altered) is not None, altered


def test_id_number_errors():
    assert id_number_error("11010519491231002") == "身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X"
    first17 = "11010519491331002"  # month 13
    assert id_number_error(first17 + gb11643_check(first17)) == "身份证号码中的出生日期不正确"
    future = f"110105{dt.date.today().year + 1}0101002"
    assert id_number_error(future + gb11643_check(future)) == "身份证号码中的出生日期不正确"
    assert id_number_error("11010519491231002x") is None  # the cast's number, lower-case x


@pytest.mark.parametrize("authority", list("0BCDEFGHJKLMPQRTUWX"))
def test_unknown_registration_authority_is_refused(authority):
    first17 = f"{authority}1320505" + "MA2Q7K8L" + gb11714_check("MA2Q7K8L")
    code = first17 + gb32100_check(first17)  # both check characters right
    assert credit_code_error(code) == "统一社会信用代码第 1 位（登记管理部门代码）不正确"


@pytest.mark.parametrize("authority", list("123456789ANY"))
def test_every_known_registration_authority_is_accepted(authority):
    first17 = f"{authority}1320505" + "MA2Q7K8L" + gb11714_check("MA2Q7K8L")
    assert credit_code_error(first17 + gb32100_check(first17)) is None
