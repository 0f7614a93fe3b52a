"""Policies end to end through the API: editing, two-person review, search, filters, isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.policies import services
from qifu.policies.models import Policy, PolicyTag

BASE = "policies/manage/policies"

SPEC_RULE = {
    "type": "all",
    "children": [
        {"type": "compare", "fact": "registered_capital", "op": "gte", "value": 100},
        {"type": "years_since", "fact": "founded_on", "op": "gte", "value": 2},
        {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.1},
    ],
}


def payload(**over):
    data = {
        "title": "关于开展2026年度专精特新中小企业认定工作的通知",
        "number": "甲工信发〔2026〕12号",
        "level": "district",
        "department": "区工业和信息化局",
        "publish_date": "2026-03-01",
        "apply_start": "2026-01-01",
        "apply_end": "2099-12-31",
        "support_type": "reward",
        "amount_min": "10.00",
        "amount_max": "50.00",
        "summary": "对新认定的专精特新中小企业给予一次性奖励。",
        "body": "<p>一、支持对象</p><script>alert(1)</script><p onclick='x()'>二、奖励标准</p>",
        "source_url": "https://gxj.example.gov.cn/art/2026/3/1/art_1.html",
        "conditions": SPEC_RULE,
    }
    data.update(over)
    return data


def publish(api, cast, **over) -> int:
    created = api(cast.staff_a).post(BASE, payload(**over))
    assert created.status_code == 201, created.json()
    pid = created.json()["id"]
    assert api(cast.staff_a).post(f"{BASE}/{pid}/submit").status_code == 200
    approved = api(cast.tenant_admin).post(f"{BASE}/{pid}/approve", {"comment": "同意"})
    assert approved.status_code == 200, approved.json()
    return pid


def test_create_sanitises_body_and_validates_conditions(api, cast):
    response = api(cast.staff_a).post(BASE, payload())
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert "<script" not in body["body"] and "onclick" not in body["body"] and "二、奖励标准" in body["body"]
    assert body["condition_lines"][0].startswith("注册资本 ≥ 100")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"conditions": {"type": "compare", "fact": "staff_count", "op": "gte", "value": "很多"}},
            "policies.rule_invalid",
        ),
        ({"apply_start": "2026-05-01", "apply_end": "2026-04-01"}, "policies.bad_dates"),
        ({"amount_min": "100", "amount_max": "10"}, "policies.bad_amount"),
        ({"source_url": "javascript:alert(1)"}, "policies.bad_source_url"),
        ({"tag_ids": [987654]}, "policies.unknown_tag"),
        ({"industry_codes": ["ZZ"]}, "policies.unknown_industry"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(api, cast, change, code):
    response = api(cast.staff_a).post(BASE, payload(**change))
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert Policy.objects.count() == 0


def test_rule_error_names_the_node(api, cast):
    tree = {"type": "all", "children": [{"type": "range", "fact": "registered_capital", "min": 9, "max": 1}]}
    response = api(cast.staff_a).post("policies/manage/rules/validate", {"tree": tree})
    assert response.status_code == 422
    assert response.json()["message"] == "申报条件有误：条件 1（注册资本）：区间下限不能大于上限"


def test_submitter_cannot_approve_and_second_person_publishes(api, cast):
    pid = api(cast.staff_a).post(BASE, payload()).json()["id"]
    assert api(cast.staff_a).post(f"{BASE}/{pid}/approve", {}).json()["code"] == "policies.bad_transition"
    assert api(cast.staff_a).post(f"{BASE}/{pid}/submit").json()["status"] == "in_review"
    own = api(cast.staff_a).post(f"{BASE}/{pid}/approve", {"comment": "自己批"})
    assert own.status_code == 403 and own.json()["code"] == "policies.same_reviewer"
    assert api(cast.staff_a).put(f"{BASE}/{pid}", payload(title="改")).json()["code"] == "policies.not_editable"
    rejected = api(cast.staff_b).post(f"{BASE}/{pid}/reject", {"comment": ""})
    assert rejected.json()["code"] == "policies.comment_required"
    approved = api(cast.staff_b).post(f"{BASE}/{pid}/approve", {"comment": "同意发布"})
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    assert approved.json()["reviewed_by"] == "B 镇经办"
    with tenancy.tenant_scope(cast.tenant):
        actions = list(AuditEntry.objects.filter(object_id=str(pid)).order_by("id").values_list("action", flat=True))
    assert ["policies.policy.create", "policies.policy.submit", "policies.policy.approve"] == [
        a for a in actions if a.startswith("policies.policy")
    ]
    assert api(None).get(f"policies/{pid}").status_code == 200


def test_withdraw_and_reopen(api, cast):
    pid = publish(api, cast)
    assert (
        api(cast.tenant_admin).post(f"{BASE}/{pid}/withdraw", {"reason": "政策已调整"}).json()["status"] == "withdrawn"
    )
    assert api(None).get(f"policies/{pid}").status_code == 404
    assert api(cast.staff_a).post(f"{BASE}/{pid}/reopen").json()["status"] == "draft"
    assert api(cast.staff_a).put(f"{BASE}/{pid}", payload(title="关于调整后的专精特新奖励政策")).status_code == 200


def test_drafts_are_invisible_to_the_public_and_other_tenants(api, cast):
    pid = api(cast.staff_a).post(BASE, payload()).json()["id"]
    assert api(None).get(f"policies/{pid}").status_code == 404
    assert api(None).get("policies", {"q": "专精特新"}).json()["total"] == 0
    published = publish(api, cast, title="专精特新企业贷款贴息政策", source_url="")
    assert api(cast.outsider).get(f"{BASE}/{published}").status_code == 404
    # the public site of the other tenant does not list it either
    other = api(None, host="beta.test").get("policies", {"q": "专精特新"})
    assert other.status_code == 200 and other.json()["total"] == 0


TITLES = [
    ("关于组织开展2026年度专精特新中小企业认定工作的通知", "national", "工业和信息化部"),
    ("市级专精特新“小巨人”企业培育奖励办法", "city", "市工业和信息化局"),
    ("高新技术企业认定奖励实施细则", "district", "区科学技术局"),
    ("研发费用加计扣除政策执行指引", "national", "国家税务总局"),
    ("稳岗补贴（失业保险稳岗返还）申领指南", "provincial", "省人力资源和社会保障厅"),
    ("首贷贴息资金管理办法", "district", "区财政局"),
    ("中小企业数字化转型专项资金申报通知", "city", "市工业和信息化局"),
    ("科技型中小企业评价工作指引", "national", "科学技术部"),
]


@pytest.fixture
def library(in_tenant, cast):
    from qifu.orgs.industries import ensure_industries

    ensure_industries()
    staff, reviewer = cast.staff_a, cast.tenant_admin
    ids = {}
    tag = PolicyTag.objects.create(name="资金补助")
    for i, (title, level, dept) in enumerate(TITLES):
        policy = services.create_policy(
            {
                "title": title,
                "level": level,
                "department": dept,
                "summary": f"{title}的摘要，面向辖区企业。",
                "body": f"<p>{title}。具体内容见附件。</p>"
                + ("<p>已入库的科技型中小企业可衔接专精特新企业培育。</p>" if i == 7 else ""),
                "publish_date": dt.date(2026, 1, 1) + dt.timedelta(days=i),
                "apply_end": dt.date(2020, 1, 1) if i == 5 else None,
            },
            tag_ids=[tag.pk] if i % 2 == 0 else [],
            industry_codes=["C"] if i == 6 else [],
        )
        services.submit_policy(policy, staff)
        services.approve_policy(policy, reviewer)
        ids[title] = policy.pk
    return ids, tag


def test_search_ranks_title_matches_first_and_highlights(api, cast, library):
    _ids, _ = library
    result = api(None).get("policies", {"q": "专精特新"}).json()
    titles = [item["title"] for item in result["items"]]
    # the two policies about 专精特新 come first; the one mentioning it only in its body comes last
    assert result["total"] == 3
    assert set(titles[:2]) == {TITLES[0][0], TITLES[1][0]}
    assert titles[2] == TITLES[7][0]
    assert "<mark>专精特新</mark>" in result["items"][2]["snippet"]
    assert "<mark>专精特新</mark>" in result["items"][0]["title_html"]
    assert "<mark>" in result["items"][0]["snippet"]
    # two terms: both must occur
    both = api(None).get("policies", {"q": "高新技术企业 奖励"}).json()
    assert [i["title"] for i in both["items"]] == [TITLES[2][0]]
    by_date = api(None).get("policies", {"q": "专精特新", "sort": "date"}).json()
    assert next(i["title"] for i in by_date["items"]) == TITLES[7][0]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '专精" OR "',
        "title:专精特新",
        "NEAR(专精 特新)",
        "*",
        "专精特新*",
        "' OR 1=1 --",
        "a AND",
        "(((",
        "^",
        "\x00",
    ],
)
def test_query_syntax_is_escaped(api, cast, library, query):
    response = api(None).get("policies", {"q": query})
    assert response.status_code == 200
    # a query without word characters is no query; one with words matches only those words
    assert response.json()["total"] in (0, 3, len(TITLES))


def test_filters(api, cast, library):
    _ids, tag = library
    get = api(None).get
    assert get("policies", {"level": "national"}).json()["total"] == 3
    assert get("policies", {"department": "市工业和信息化局"}).json()["total"] == 2
    assert get("policies", {"tag": tag.pk}).json()["total"] == 4
    open_now = {i["title"] for i in get("policies", {"open_now": True}).json()["items"]}
    assert TITLES[5][0] not in open_now and len(open_now) == 7
    # a policy naming industries applies only to them; the others apply to every industry
    assert get("policies", {"industry": "65"}).json()["total"] == 7
    assert get("policies", {"industry": "39"}).json()["total"] == 8
    assert get("policies", {"q": "专精特新", "level": "city"}).json()["total"] == 1


def test_suggestions_while_typing(api, cast, library):
    items = api(None).get("policies/suggest", {"q": "首贷"}).json()["items"]
    assert items == [TITLES[5][0]]
    assert api(None).get("policies/suggest", {"q": ""}).json()["items"] == []


def test_eligibility_uses_the_enterprise_facts(api, cast):
    pid = publish(api, cast)
    with tenancy.tenant_scope(cast.tenant):
        enterprise = cast.enterprise_a
        enterprise.registered_capital = 500
        enterprise.founded_on = dt.date(2015, 1, 1)
        enterprise.save()
    result = api(cast.enterprise_owner).get(f"policies/{pid}/eligibility").json()
    assert result["status"] == "possibly"
    assert [m["label"] for m in result["missing"]] == ["研发人员数", "从业人数"]
    assert api(cast.staff_a).get(f"policies/{pid}/eligibility").status_code == 403
    with tenancy.tenant_scope(cast.tenant):
        enterprise.registered_capital = 50
        enterprise.save()
    failed = api(cast.enterprise_owner).get(f"policies/{pid}/eligibility").json()
    assert failed["status"] == "ineligible" and failed["failed"][0]["gap"] == 50


def test_subscribers_are_notified_on_publish(api, cast, django_capture_on_commit_callbacks):
    from qifu.messaging.models import Delivery

    tag_id = api(cast.tenant_admin).post("policies/manage/tags", {"name": "专精特新", "kind": "advanced"}).json()["id"]
    saved = api(cast.enterprise_owner).put("policies/subscription", {"tag_ids": [tag_id], "departments": []})
    assert saved.status_code == 200 and saved.json()["tags"][0]["name"] == "专精特新"
    api(cast.staff_b).put("policies/subscription", {"departments": ["区财政局"]})
    with django_capture_on_commit_callbacks(execute=True):
        publish(api, cast, tag_ids=[tag_id])
    with tenancy.tenant_scope(cast.tenant):
        got = set(Delivery.objects.filter(channel="inapp").values_list("user_id", flat=True))
    assert cast.enterprise_owner.pk in got
    assert cast.staff_b.pk not in got


def test_tag_library(api, cast):
    admin = api(cast.tenant_admin)
    tag = admin.post("policies/manage/tags", {"name": "稳岗就业", "kind": "basic", "category": "支持领域"}).json()
    assert admin.post("policies/manage/tags", {"name": "稳岗就业"}).status_code == 409
    publish(api, cast, tag_ids=[tag["id"]])
    assert admin.delete(f"policies/manage/tags/{tag['id']}").json()["code"] == "policies.tag_in_use"
    updated = admin.put(f"policies/manage/tags/{tag['id']}", {"name": "稳岗就业", "is_active": False}).json()
    assert updated["is_active"] is False and updated["policy_count"] == 1
    assert api(cast.enterprise_owner).get("policies/manage/tags").status_code == 403


def test_attachments(api, cast):
    pid = api(cast.staff_a).post(BASE, payload()).json()["id"]
    upload = SimpleUploadedFile("申报指南.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client = api(cast.staff_a)
    response = client.post(
        f"{BASE}/{pid}/attachments", {"file": upload, "title": "申报指南"}, content_type=MULTIPART_CONTENT
    )
    assert response.status_code == 201, response.content
    aid = response.json()["id"]
    fake = SimpleUploadedFile("evil.pdf", b"<html><script>", content_type="application/pdf")
    assert client.post(f"{BASE}/{pid}/attachments", {"file": fake}, content_type=MULTIPART_CONTENT).status_code == 415
    assert api(None).get(f"policies/attachments/{aid}").status_code == 404  # not published yet
    client.post(f"{BASE}/{pid}/submit")
    api(cast.tenant_admin).post(f"{BASE}/{pid}/approve", {})
    download = api(None).get(f"policies/attachments/{aid}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_relevance_pages_and_totals(api, cast, library):
    first = api(None).get("policies", {"q": "专精特新", "size": 2, "page": 1}).json()
    second = api(None).get("policies", {"q": "专精特新", "size": 2, "page": 2}).json()
    past = api(None).get("policies", {"q": "专精特新", "size": 2, "page": 5}).json()
    assert first["total"] == second["total"] == past["total"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and past["items"] == []
    seen = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(seen)) == 3
    # the console list ranks the same way, drafts included
    staff = api(cast.staff_a).get("policies/manage/policies", {"q": "专精特新"}).json()
    assert staff["total"] == 3


def test_submitter_hears_the_review_result(api, cast, django_capture_on_commit_callbacks):
    from qifu.messaging.models import Delivery

    pid = api(cast.staff_a).post(BASE, payload()).json()["id"]
    api(cast.staff_a).post(f"{BASE}/{pid}/submit")
    with django_capture_on_commit_callbacks(execute=True):
        api(cast.staff_b).post(f"{BASE}/{pid}/reject", {"comment": "请补充申报材料清单"})
    with tenancy.tenant_scope(cast.tenant):
        assert Delivery.objects.filter(channel="inapp", user=cast.staff_a).exists()


def test_disabled_tags_cannot_be_given_but_stay_on_policies_that_have_them(api, cast):
    admin = api(cast.tenant_admin)
    tag = admin.post("policies/manage/tags", {"name": "老字号", "kind": "basic"}).json()
    pid = api(cast.staff_a).post(BASE, payload(tag_ids=[tag["id"]])).json()["id"]
    admin.put(f"policies/manage/tags/{tag['id']}", {"name": "老字号", "is_active": False})
    refused = api(cast.staff_a).post(BASE, payload(title="另一条政策", tag_ids=[tag["id"]]))
    assert refused.status_code == 422 and refused.json()["code"] == "policies.unknown_tag"
    assert "停用" in refused.json()["message"]
    kept = api(cast.staff_a).put(f"{BASE}/{pid}", payload(title="改了标题", tag_ids=[tag["id"]]))
    assert kept.status_code == 200 and [t["id"] for t in kept.json()["tags"]] == [tag["id"]]
    other = api(cast.staff_a).post(BASE, payload(title="第三条政策")).json()["id"]
    added = api(cast.staff_a).put(f"{BASE}/{other}", payload(title="第三条政策", tag_ids=[tag["id"]]))
    assert added.json()["code"] == "policies.unknown_tag"
    with tenancy.tenant_scope(cast.tenant):
        assert not Policy.objects.get(pk=other).tags.exists()


def test_submitter_is_remembered_after_the_account_is_deleted(api, cast):
    from qifu.accounts.models import User

    pid = api(cast.staff_b).post(BASE, payload()).json()["id"]
    assert api(cast.staff_b).post(f"{BASE}/{pid}/submit").status_code == 200
    staff_b_id = cast.staff_b.pk
    User.objects.filter(pk=staff_b_id).delete()
    with tenancy.tenant_scope(cast.tenant):
        policy = Policy.objects.get(pk=pid)
        assert policy.submitted_by_id is None and policy.submitter_id_kept == staff_b_id
    detail = api(cast.staff_a).get(f"{BASE}/{pid}").json()
    assert detail["submitted_by"] == "（账号已删除）" and detail["can_review"] is True
    assert api(cast.staff_a).post(f"{BASE}/{pid}/approve", {"comment": "同意"}).json()["status"] == "published"


def test_a_policy_whose_submitter_is_unknown_cannot_be_approved(api, cast):
    pid = api(cast.staff_a).post(BASE, payload()).json()["id"]
    api(cast.staff_a).post(f"{BASE}/{pid}/submit")
    with tenancy.tenant_scope(cast.tenant):  # as a row whose submitter was deleted before ids were kept
        Policy.objects.filter(pk=pid).update(submitted_by=None, submitter_id_kept=None)
    assert api(cast.staff_b).get(f"{BASE}/{pid}").json()["can_review"] is True  # may still send it back
    refused = api(cast.staff_b).post(f"{BASE}/{pid}/approve", {"comment": "同意"})
    assert refused.status_code == 422 and refused.json()["code"] == "policies.unknown_submitter"
    sent_back = api(cast.staff_b).post(f"{BASE}/{pid}/reject", {"comment": "请重新提交"})
    assert sent_back.json()["status"] == "draft"
    api(cast.staff_a).post(f"{BASE}/{pid}/submit")
    own = api(cast.staff_a).post(f"{BASE}/{pid}/approve", {"comment": "自己批"})
    assert own.json()["code"] == "policies.same_reviewer"


def test_options_list_the_industries_the_filter_understands(api, cast):
    industries = api(None).get("policies/options").json()["industries"]
    codes = [i["code"] for i in industries]
    assert codes[0] == "A" and "C" in codes and "27" in codes
    pharma = next(i for i in industries if i["code"] == "27")
    assert pharma == {"code": "27", "name": "医药制造业", "section": "C"}
    assert codes.index("C") < codes.index("27") < codes.index("D")  # each 大类 follows its 门类


def test_only_title_number_and_summary_rank_the_body_only_filters(api, cast, in_tenant):
    def make(title: str, body: str, summary: str = "面向辖区企业的扶持政策。") -> int:
        policy = services.create_policy({"title": title, "level": "district", "department": "区科学技术局",
                                         "summary": summary, "body": body})  # fmt: skip
        services.submit_policy(policy, cast.staff_a)
        services.approve_policy(policy, cast.tenant_admin)
        return policy.pk

    older_many = make("甲区科技创新券管理办法", "<p>" + "孵化器运营补贴。" * 6 + "</p>")
    newer_once = make("甲区企业研发投入后补助办法", "<p>对孵化器内企业同样适用。</p>")
    in_title = make("甲区孵化器认定和扶持办法", "<p>具体见附件。</p>")
    in_summary = make("甲区众创空间奖励办法", "<p>具体见附件。</p>", summary="对新认定的孵化器给予奖励。")
    result = api(None).get("policies", {"q": "孵化器"}).json()
    # title (A) before summary (B); body-only matches after them, newest first whatever the count
    assert [i["id"] for i in result["items"]] == [in_title, in_summary, newer_once, older_many]
    assert result["total"] == 4


@pytest.mark.postgres
def test_postgresql_storage_for_fast_lists_and_ranking(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'policies_tenant_status_id'")
        (definition,) = cursor.fetchone()
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns "
            "WHERE table_name = 'search_policies' AND column_name = 'rank_document'"
        )
        (generated,) = cursor.fetchone()
    assert "INCLUDE (level, department, apply_start, apply_end)" in definition
    assert "ts_filter(document" in generated
