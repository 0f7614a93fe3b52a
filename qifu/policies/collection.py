"""Policy collection (政策归集): read a source, extract policies, dedupe, queue drafts for review.

A source is a list page (links matching the source's rule lead to detail pages), an RSS or
Atom feed, or a JSON feed with a field mapping. Every fetch goes through
``qifu.core.safe_fetch``; every body goes through the rich-text sanitiser (scripts,
styles and event handlers never reach the library). Detail pages are read for the
meta tags Chinese government sites publish (ArticleTitle, PubDate, ContentSource) with
fallbacks to <h1>, "发布日期：" lines and the 〔年份〕号 document-number pattern.

A run always ends closed: whatever fails — a fetch, a parser (a feed of 100,000 nested
``[`` makes ``json.loads`` raise ``RecursionError``), the database — the run row gets its
status, errors, finish time and audit entry, and the source its ``last_run_at``. A run has a
total time budget (``QIFU_COLLECT_MAX_SECONDS``); a run still "running" three budgets after it
started belongs to a killed worker and is closed as failed by the next collection job.
The staff-written link rule is a regular expression run by the ``regex`` module with a time
budget, on at most ``MAX_LINKS`` links of at most ``MAX_RULE_INPUT`` characters each.
"""

from __future__ import annotations

import datetime as dt
import difflib
import email.utils
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import regex
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from qifu.core import audit, richtext, safe_fetch
from qifu.core.errors import RuleViolation
from qifu.policies.models import CollectionRun, CollectionSource, Policy

logger = logging.getLogger(__name__)

_DATE = re.compile(r"(20\d{2}|19\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_NUMBER = re.compile(
    r"[\u4e00-\u9fa5A-Za-z]{1,16}\s*[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]\s*第?\s*\d{1,4}\s*号"
)
_ISSUER = re.compile(r"(?:发文机关|发布机构|发文单位|发布单位|来源)\s*[:：]\s*([\u4e00-\u9fa5（）()]{2,40})")
_CONTENT_HINT = re.compile(r"(article|content|zoom|trs_editor|detail|main-text|textbox|bt_content|pages_content)", re.I)
_TITLE_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}

DEFAULT_RUN_SECONDS = 600  # QIFU_COLLECT_MAX_SECONDS: the whole run of one source
STALE_AFTER_BUDGETS = 3  # a run "running" this many budgets after its start was orphaned by a killed worker
MAX_LINKS = 2000  # links of one list page checked against the rule
MAX_RULE_INPUT = 500  # characters of a URL the rule sees
RULE_BUDGET_SECONDS = 2.0  # total regex time over one list page
RULE_PROBE_SECONDS = 0.05  # each probe when a rule is saved
# Probes twice as long as what a rule ever sees: a backtracking rule costs 0.2 s to seconds on them
# (superlinear in the length), an ordinary one microseconds — so the verdict never hangs on timing.
_RULE_PROBES = (
    "https://www.example.gov.cn/" + "a" * 1000 + "!",
    "https://www.example.gov.cn/" + "1" * 1000 + "/",
    "https://www.example.gov.cn/" + "1" * 1000 + "!",
    "https://www.example.gov.cn/" + "/art" * 250 + "?id=" + "9" * 60,
    "https://www.example.gov.cn/" + "-_." * 330,
)

# The run's clock: deadlines of a run are measured with it (tests replace it to step time).
_now = time.monotonic


def run_limit_seconds() -> int:
    """The time budget of one source's run: the Django setting, else the environment, else 600."""
    raw = getattr(settings, "QIFU_COLLECT_MAX_SECONDS", None)
    if raw is None:
        raw = os.environ.get("QIFU_COLLECT_MAX_SECONDS", "").strip() or DEFAULT_RUN_SECONDS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 10 <= value <= 86400:
        raise ImproperlyConfigured(f"QIFU_COLLECT_MAX_SECONDS: must be whole seconds from 10 to 86400, got {raw!r}")
    return value


# --------------------------------------------------------------------------- link rules
def compile_link_rule(pattern: str) -> regex.Pattern | None:
    """The staff's link rule compiled, or a RuleViolation saying what is wrong with it.

    Python-compatible syntax (``regex`` V0). Besides compiling, the rule is run against a few
    long URL-like strings under a time limit: a rule that backtracks catastrophically on them
    (``(a+)+$`` and kin) is refused when saved. At run time every match has a budget as well.
    """
    pattern = (pattern or "").strip()
    if not pattern:
        return None
    if len(pattern) > 300:
        raise RuleViolation("policies.bad_pattern", "链接规则不能超过 300 个字符")
    try:
        rule = regex.compile(pattern, regex.V0)
    except (regex.error, OverflowError, RecursionError) as exc:
        message = getattr(exc, "msg", None) or exc.__class__.__name__
        raise RuleViolation("policies.bad_pattern", f"链接规则不是有效的正则表达式：{message}")
    for probe in _RULE_PROBES:
        try:
            rule.search(probe, timeout=RULE_PROBE_SECONDS)
        except TimeoutError:
            raise RuleViolation(
                "policies.bad_pattern",
                "链接规则过于复杂（对长地址匹配耗时过长），请去掉嵌套的重复，如 (a+)+，改用更具体的写法",
            )
    return rule


def normalise_title(title: str) -> str:
    """Title reduced for duplicate detection: no spaces or punctuation, no 关于印发/的通知 wrapping."""
    text = _TITLE_NOISE.sub("", title or "").lower()
    text = re.sub(r"^(关于印发|关于)", "", text)
    return re.sub(r"(的通知|的公告|的意见)$", "", text)


def similar_titles(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.92


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    match = _DATE.search(text)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class Item:
    url: str
    title: str = ""
    date: dt.date | None = None
    number: str = ""
    department: str = ""
    body: str = ""


# --------------------------------------------------------------------------- HTML
class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


class _PageParser(HTMLParser):
    """Collects meta tags, <title>, the first <h1> and the inner HTML of the main content block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1 = ""
        self._in: str | None = None
        self.content: list[str] = []
        self._capture_tag: str | None = None
        self._depth = 0
        self.paragraphs: list[str] = []
        self._p: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        if tag == "meta" and values.get("name") and values.get("content"):
            self.meta[values["name"].lower()] = values["content"].strip()
        if tag in ("title", "h1") and not getattr(self, tag):
            self._in = tag
        if self._capture_tag is not None:
            self.content.append(self.get_starttag_text() or "")
            if tag == self._capture_tag and tag not in VOID:
                self._depth += 1
        elif not self.content and tag in ("div", "article", "section", "td"):
            hint = f"{values.get('id') or ''} {values.get('class') or ''}"
            if _CONTENT_HINT.search(hint):
                self._capture_tag, self._depth = tag, 1
        if tag == "p" and self._capture_tag is None:
            self._p = []

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript") and self._skip:
            self._skip -= 1
        if tag == self._in:
            self._in = None
        if self._capture_tag is not None:
            if tag == self._capture_tag:
                self._depth -= 1
                if self._depth == 0:
                    self._capture_tag = None
                    return
            self.content.append(f"</{tag}>")
        if tag == "p" and self._p is not None:
            text = " ".join("".join(self._p).split())
            if text:
                self.paragraphs.append(text)
            self._p = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data
        if self._capture_tag is not None:
            self.content.append(data)
        elif self._p is not None and not self._skip:
            self._p.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")


def _rule_matches(rule: regex.Pattern, url: str, budget_end: float) -> bool:
    remaining = budget_end - time.monotonic()
    try:
        if remaining <= 0:
            raise TimeoutError
        return rule.search(url[:MAX_RULE_INPUT], timeout=remaining) is not None
    except TimeoutError:
        raise safe_fetch.FetchError(
            "collect.rule_timeout", "链接规则匹配耗时过长（规则过于复杂），请在来源设置中简化链接规则"
        )


def extract_links(html: str, base_url: str, pattern: str) -> list[Item]:
    parser = _LinkParser()
    parser.feed(html)
    try:
        rule = compile_link_rule(pattern)
    except RuleViolation as exc:  # saved before the rules were checked, or edited in the database
        raise safe_fetch.FetchError("collect.bad_rule", exc.message)
    budget_end = time.monotonic() + RULE_BUDGET_SECONDS
    items: dict[str, Item] = {}
    for href, text in parser.links[:MAX_LINKS]:
        url = urljoin(base_url, href.strip())
        if not url.lower().startswith(("http://", "https://")):
            continue
        if rule is not None and not _rule_matches(rule, url, budget_end):
            continue
        if url not in items and len(text) >= 4:
            items[url] = Item(url=url, title=text[:200])
    return list(items.values())


def extract_page(html: str, url: str) -> Item:
    """Title, date, issuer, document number and sanitised body of a detail page."""
    parser = _PageParser()
    parser.feed(html)
    meta = parser.meta
    body_html = "".join(parser.content) if parser.content else "".join(f"<p>{p}</p>" for p in parser.paragraphs)
    body = richtext.sanitize(body_html)
    text = richtext.to_text(body)
    page_text = text + "\n" + " ".join(parser.paragraphs)
    title = meta.get("articletitle") or " ".join(parser.h1.split()) or " ".join(parser.title.split())
    title = richtext.to_text(title)[:200]
    date = parse_date(meta.get("pubdate") or meta.get("publishdate") or meta.get("firstpublishedtime"))
    if date is None:
        labelled = re.search(r"(?:发布日期|发布时间|成文日期|日期)\s*[:：]\s*([^\n]{6,20})", page_text)
        date = parse_date(labelled.group(1) if labelled else page_text[:2000])
    number_match = _NUMBER.search(title + "\n" + page_text[:3000])
    issuer = meta.get("contentsource", "")
    if not issuer:
        issuer_match = _ISSUER.search(page_text[:3000])
        issuer = issuer_match.group(1) if issuer_match else ""
    return Item(
        url=url,
        title=title,
        date=date,
        number=" ".join(number_match.group(0).split()) if number_match else "",
        department=issuer[:100],
        body=body,
    )


# --------------------------------------------------------------------------- feeds
def parse_rss(content: bytes, base_url: str) -> list[Item]:
    from defusedxml import ElementTree  # refuses entity expansion and external entities

    try:
        root = ElementTree.fromstring(content)
    except Exception as exc:  # defusedxml raises several types; all mean "not a usable feed"
        raise safe_fetch.FetchError("collect.bad_feed", f"RSS 内容无法解析：{exc.__class__.__name__}")

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    items = []
    for node in root.iter():
        if local(node.tag) not in ("item", "entry"):
            continue
        fields: dict[str, str] = {}
        for child in node:
            name = local(child.tag)
            if name == "link" and child.get("href"):
                fields["link"] = child.get("href", "")
            elif child.text:
                fields.setdefault(name, child.text.strip())
        link = urljoin(base_url, fields.get("link", ""))
        if not link.lower().startswith(("http://", "https://")):
            continue
        items.append(
            Item(
                url=link,
                title=richtext.to_text(fields.get("title", ""))[:200],
                date=parse_date(fields.get("pubDate") or fields.get("published") or fields.get("updated")),
                body=richtext.sanitize(fields.get("encoded") or fields.get("description") or fields.get("content", "")),
            )
        )
    return items


def _dig(data, path: str):
    for part in [p for p in path.split(".") if p]:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def parse_json(content: bytes, source: CollectionSource, base_url: str) -> list[Item]:
    try:
        data = json.loads(safe_fetch.decode(content, "application/json"))
    except ValueError:
        raise safe_fetch.FetchError("collect.bad_feed", "JSON 内容无法解析")
    except RecursionError:  # e.g. 100,000 nested "[": the parser recurses per level
        raise safe_fetch.FetchError("collect.bad_feed", "JSON 内容嵌套层数过深，无法解析")
    rows = _dig(data, source.json_items) if source.json_items else data
    if not isinstance(rows, list):
        raise safe_fetch.FetchError("collect.bad_feed", f"JSON 中找不到条目列表（路径：{source.json_items or '根'}）")
    mapping = {"title": "title", "url": "url", "date": "date", "number": "number", "department": "department"}
    mapping.update({k: v for k, v in (source.json_fields or {}).items() if isinstance(v, str) and v})
    items = []
    for row in rows:
        if not isinstance(row, dict):
            continue

        def get(key: str, row=row) -> str:
            value = _dig(row, mapping.get(key, key))
            return "" if value is None else str(value)

        url = urljoin(base_url, get("url"))
        if not url.lower().startswith(("http://", "https://")):
            continue
        items.append(
            Item(
                url=url,
                title=richtext.to_text(get("title"))[:200],
                date=parse_date(get("date")),
                number=get("number")[:100],
                department=get("department")[:100],
                body=richtext.sanitize(get("body")),
            )
        )
    return items


# --------------------------------------------------------------------------- running a source
class _OutOfTime(Exception):
    pass


def _fetch(url: str, deadline: float) -> safe_fetch.FetchResult:
    """One fetch inside the run's budget: its timeout never reaches past the deadline."""
    remaining = deadline - _now()
    if remaining < 1:
        raise _OutOfTime
    return safe_fetch.fetch(url, timeout=min(safe_fetch.DEFAULT_TIMEOUT, remaining))


def list_items(source: CollectionSource, deadline: float | None = None) -> list[Item]:
    deadline = _now() + run_limit_seconds() if deadline is None else deadline
    result = _fetch(source.url, deadline)
    if source.kind == CollectionSource.Kind.RSS:
        return parse_rss(result.content, result.url)
    if source.kind == CollectionSource.Kind.JSON:
        return parse_json(result.content, source, result.url)
    return extract_links(result.text, result.url, source.link_pattern)


def complete(item: Item, deadline: float | None = None) -> Item:
    """Fill what the listing did not give from the detail page."""
    if item.body and item.title and item.date:
        return item
    deadline = _now() + run_limit_seconds() if deadline is None else deadline
    page = extract_page(_fetch(item.url, deadline).text, item.url)
    return Item(
        url=item.url,
        title=item.title or page.title,
        date=item.date or page.date,
        number=item.number or page.number,
        department=item.department or page.department,
        body=item.body or page.body,
    )


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "内容嵌套层数过深，无法解析"
    if isinstance(exc, MemoryError):
        return "内容过大，处理时内存不足"
    return f"处理失败：{exc.__class__.__name__}"


def _collect(source: CollectionSource, run: CollectionRun, errors: list[dict], deadline: float, limit: int) -> None:
    from qifu.policies import services

    try:
        items = list_items(source, deadline)
    except safe_fetch.FetchError as exc:
        errors.append({"url": source.url, "message": exc.message})
        return
    except _OutOfTime:
        errors.append({"url": source.url, "message": f"超过单次归集时限（{limit} 秒）"})
        return
    run.found = len(items)
    todo = items[: source.max_items]
    for position, item in enumerate(todo):
        if _now() >= deadline:
            left = len(todo) - position
            errors.append({"url": item.url, "message": f"超过单次归集时限（{limit} 秒），其余 {left} 条留待下次归集"})
            return
        try:
            if Policy.objects.filter(source_url=item.url[:500]).exists():
                run.duplicates += 1
                continue
            item = complete(item, deadline)
            if not item.title:
                raise safe_fetch.FetchError("collect.no_title", "页面中找不到政策标题")
            if services.check_duplicate(item.url[:500], item.title, item.date):
                run.duplicates += 1
                continue
            services.create_policy(
                {
                    "title": item.title,
                    "number": item.number,
                    "level": source.level,
                    "department": item.department or source.department or source.name,
                    "publish_date": item.date,
                    "summary": richtext.excerpt(item.body, 200),
                    "body": item.body,
                    "source_url": item.url[:500],
                    "source_name": source.name,
                },
                origin=Policy.Origin.COLLECTED,
                collected_from=source,
            )
            run.created += 1
        except safe_fetch.FetchError as exc:
            run.failed += 1
            errors.append({"url": item.url, "message": exc.message})
        except _OutOfTime:
            left = len(todo) - position
            errors.append({"url": item.url, "message": f"超过单次归集时限（{limit} 秒），其余 {left} 条留待下次归集"})
            return
        except Exception as exc:  # one bad page must not stop the run; the error is recorded for staff
            logger.exception("collecting %s failed", item.url)
            run.failed += 1
            errors.append({"url": item.url, "message": _failure_text(exc)})


def _close(run: CollectionRun, source: CollectionSource, errors: list[dict]) -> None:
    if errors and not (run.created or run.duplicates):
        run.status = CollectionRun.Status.FAILED
    elif errors:
        run.status = CollectionRun.Status.PARTIAL
    else:
        run.status = CollectionRun.Status.SUCCESS
    run.errors = errors[:50]
    run.message = f"发现 {run.found} 条，新建草稿 {run.created} 条，重复 {run.duplicates} 条，失败 {run.failed} 条"
    run.finished_at = timezone.now()
    run.save()
    CollectionSource.objects.filter(pk=source.pk).update(last_run_at=run.finished_at)
    audit.record(
        "policies.collection.run",
        source,
        changes={"run": {"after": run.pk}, "status": {"after": run.status}, "created": {"after": run.created}},
    )


def run_source(source: CollectionSource, *, trigger: str = "schedule") -> CollectionRun:
    """Collect one source now. Network work happens outside any transaction; each draft is its own.

    The run row is closed whatever happens: every failure becomes an error line of the run.
    """
    run = CollectionRun.objects.create(source=source, trigger=trigger)
    errors: list[dict] = []
    ended = False
    try:
        limit = run_limit_seconds()
        _collect(source, run, errors, _now() + limit, limit)
        ended = True
    except Exception as exc:
        ended = True
        logger.exception("collection run %s of source %s failed", run.pk, source.pk)
        errors.append({"url": source.url, "message": f"归集中断：{_failure_text(exc)}"})
    finally:
        if not ended:  # the worker is being stopped (SystemExit, KeyboardInterrupt): still close the row
            errors.append({"url": source.url, "message": "归集被中断（工作进程停止）"})
        _close(run, source, errors)
    return run


@transaction.atomic
def close_stale_runs() -> int:
    """Close runs a killed worker left "running" (older than three run budgets) as failed."""
    cutoff = timezone.now() - dt.timedelta(seconds=run_limit_seconds() * STALE_AFTER_BUDGETS)
    stale = CollectionRun.objects.select_for_update(of=("self",)).filter(
        status=CollectionRun.Status.RUNNING, created_at__lt=cutoff
    )
    count = 0
    for run in stale.select_related("source"):
        run.status = CollectionRun.Status.FAILED
        run.errors = [
            *run.errors,
            {"url": run.source.url, "message": "运行未正常结束（工作进程可能被终止），已标记为失败"},
        ][:50]
        run.message = (
            f"运行未正常结束，已标记为失败（发现 {run.found} 条，新建草稿 {run.created} 条，重复 {run.duplicates} 条）"
        )
        run.finished_at = timezone.now()
        run.save()
        audit.record(
            "policies.collection.stale",
            run.source,
            changes={"run": {"after": run.pk}, "status": {"before": "running", "after": run.status}},
        )
        count += 1
    return count
