"""Policy search at 100,000 policies on PostgreSQL: indexing throughput and query latency.

1. Generates N policies (default 100,000) from the demo templates with varied years, levels,
   departments and bodies (composed per policy like the demo's), bulk-inserted, then indexes them through ``qifu.core.search``
   (jieba segmentation + tsvector upsert) and prints documents per second.
2. Replays realistic queries (keywords, keywords + filters, filters only) through the real
   API (GET /api/v1/policies via Django's test client: middleware, tenant, permission,
   search, pagination, highlighting) at a fixed arrival rate, open loop: latency is measured
   from each request's scheduled start, so queueing counts. Prints p50, p95, p99 and max.

    .venv/bin/python bench/policies_search.py [--policies 100000] [--rate 5] [--reuse] [--seconds 30]
        [--database qifu_polbench] [--explain]

``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the search SQL of a few queries before the
load phase. ``--ruled`` also times the same queries, interleaved one for one with the anonymous
ones, as a signed-in user whose role hides the policy body: field rules make the search match on
title, number and summary only, which on PostgreSQL adds a recheck of each match's whole document
(docs/architecture-access.md) — the figure says what that costs. Redis for the run: ``QIFU_BENCH_POL_REDIS`` (default db 14).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ensure_database, manage, production_env, reachable

QUERIES = [
    {"q": "专精特新"},
    {"q": "高新技术企业 奖励"},
    {"q": "稳岗补贴"},
    {"q": "首贷贴息"},
    {"q": "研发费用加计扣除"},
    {"q": "数字化转型", "level": "city"},
    {"q": "知识产权", "open_now": "true"},
    {"q": "人才引进补贴", "sort": "date"},
    {"q": "绿色工厂"},
    {"q": "小巨人", "level": "national"},
    {"q": "外贸 参展"},
    {"q": "生物医药"},
    {"level": "district", "open_now": "true"},
    {"department": "区工业和信息化局"},
    {"q": "区财〔2024〕"},
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def generate(count: int, rng: random.Random, tenant, tags: list) -> int:
    from datetime import date, timedelta
    from decimal import Decimal

    from qifu.policies import demo, selectors
    from qifu.policies.models import Policy

    levels = ["national", "provincial", "city", "district"]
    batch, created = [], 0
    through = Policy.tags.through
    today = date.today()
    lines = [selectors.condition_lines(t[6]) for t in demo.TEMPLATES]
    for n in range(count):
        template = demo.TEMPLATES[n % len(demo.TEMPLATES)]
        _name, patterns, support, _tags, amount, _ind, rule, summary = template
        level = rng.choice(levels)
        department, abbr = rng.choice(demo.DEPARTMENTS[level])
        published = today - timedelta(days=rng.randint(0, 3650))
        title = rng.choice(patterns).format(y=published.year, lw=demo.LEVEL_WORD[level])
        open_days = rng.choice([None, 60, 180])
        apply_start = published if open_days else None
        apply_end = published + timedelta(days=open_days) if open_days else None
        batch.append(
            Policy(
                tenant=tenant,
                title=f"{title}（{n}）",
                number=f"{abbr}〔{published.year}〕{rng.randint(1, 400)}号",
                level=level,
                department=department,
                publish_date=published,
                apply_start=apply_start,
                apply_end=apply_end,
                support_type=support,
                amount_min=Decimal(str(amount[0])) if amount else None,
                amount_max=Decimal(str(amount[1])) if amount else None,
                summary=summary,
                body=demo.compose_body(
                    template,
                    level=level,
                    department=department,
                    published=published,
                    apply_start=apply_start,
                    apply_end=apply_end,
                    condition_lines=lines[n % len(demo.TEMPLATES)],
                    rng=rng,
                ),
                conditions=rule,
                status="published",
            )
        )
        if len(batch) == 2000:
            rows = Policy.objects.bulk_create(batch)
            through.objects.bulk_create(
                [through(policy_id=p.pk, policytag_id=rng.choice(tags).pk) for p in rows if p.pk % 3 == 0]
            )
            created += len(rows)
            batch = []
    if batch:
        created += len(Policy.objects.bulk_create(batch))
    return created


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=5.0, help="queries per second (fixed arrival rate)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="qifu_polbench", help="PostgreSQL database to (re)create and use")
    parser.add_argument("--explain", action="store_true", help="print query plans of a few searches first")
    parser.add_argument(
        "--ruled", action="store_true", help="compare with a signed-in user whose role hides the body (field rule)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated database of a previous run (query phase only)"
    )
    args = parser.parse_args()
    problem = reachable()
    if problem:
        print(f"policies_search: skipped — {problem}")
        return 0
    data_dir = tempfile.mkdtemp(prefix="qifu-pol-bench-")
    env = production_env(ensure_database(args.database, fresh=not args.reuse), data_dir)
    env["QIFU_REDIS_URL"] = os.environ.get("QIFU_BENCH_POL_REDIS", "redis://127.0.0.1:6379/14")
    manage(env, "migrate", "--noinput", "-v", "0")
    os.environ.update(env)

    import django

    django.setup()
    from django.core.cache import cache

    from qifu.core import tenancy
    from qifu.core.models import Tenant
    from qifu.policies.models import Policy

    cache.clear()
    rng = random.Random(args.seed)
    tenant = Tenant.objects.filter(code="bench").first()
    with tenancy.tenant_scope(tenant or Tenant(pk=0)):
        created = Policy.objects.count() if tenant else 0
    if args.reuse and created:
        print(f"reusing {created:,} generated and indexed policies")
    else:
        created = build(args, rng)
    query_phase(args, created)
    return 0


def build(args, rng) -> int:
    from django.db import connection

    from qifu.core import search, tenancy
    from qifu.core.models import Tenant
    from qifu.policies.models import Policy, PolicyTag
    from qifu.policies.search_index import POLICIES

    tenant = Tenant.objects.create(code="bench", name="基准测试区", domains=["127.0.0.1", "localhost"])
    with tenancy.tenant_scope(tenant):
        tags = [
            PolicyTag.objects.create(name=name) for name in ("专精特新", "资金补助", "首贷", "稳岗就业", "数字化转型")
        ]
        started = time.perf_counter()
        created = generate(args.policies, rng, tenant, tags)
        inserted = time.perf_counter() - started
        print(f"generated {created:,} policies in {inserted:.1f} s")

        search._segmenter()  # load jieba's dictionary before timing the indexing
        started = time.perf_counter()
        indexed = search.rebuild(POLICIES, Policy.objects.all().order_by("id"), batch=1000)
        elapsed = time.perf_counter() - started
        print(f"indexing: {indexed:,} documents in {elapsed:.1f} s = {indexed / elapsed:,.0f} documents/s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('search_policies'))")
        print(f"index table size (tsvector + GIN): {cursor.fetchone()[0]}")
    return created


def explain(client) -> None:
    """Where one request's time goes: SQL against the rest, and the plans of its slowest statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for query in [*QUERIES[:3], QUERIES[6], QUERIES[12]]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get("/api/v1/policies", query)
            total = (time.perf_counter() - started) * 1000
        timed = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
        sql_ms = sum(float(q["time"]) for q in timed) * 1000
        print(f"\n== {query}: {total:.1f} ms in all, {len(timed)} statements, {sql_ms:.1f} ms in SQL")
        for statement in timed[:2]:
            print(f"-- {float(statement['time']) * 1000:.1f} ms: {statement['sql'][:300]}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))
    print()


def query_phase(args, created: int) -> None:
    from django.db import connection
    from django.test import Client

    with connection.cursor() as cursor:
        # PostgreSQL's JIT compiles plans of these short queries for longer than they run
        # (measured: ~80 ms of a 150 ms search); OLTP deployments turn it off. Say so in the output.
        cursor.execute(f'ALTER DATABASE "{args.database}" SET jit = off')
        # what autovacuum does after a bulk load: statistics and the visibility map (index-only scans)
        cursor.execute("VACUUM ANALYZE policies_policy")
        cursor.execute("VACUUM ANALYZE search_policies")
    connection.close()
    print("PostgreSQL jit = off for this database (see docs/capabilities/policies.md)")
    client = Client(HTTP_HOST="127.0.0.1")
    # warm up: connections, caches, jieba, query plans
    for query in QUERIES:
        response = client.get("/api/v1/policies", query)
        if response.status_code != 200:
            raise SystemExit(f"query failed: {response.status_code} {response.content[:300]!r}")
    hits = {q.get("q", str(q)): client.get("/api/v1/policies", q).json()["total"] for q in QUERIES}
    if args.explain:
        explain(client)

    # service time: one query at a time, no queueing
    service: list[float] = []
    for _round in range(3):
        for query in QUERIES:
            started = time.perf_counter()
            client.get("/api/v1/policies", query)
            service.append((time.perf_counter() - started) * 1000)
    print(
        f"service time, one at a time ({len(service)} queries): p50 {percentile(service, 50):.1f} ms   "
        f"p95 {percentile(service, 95):.1f} ms   p99 {percentile(service, 99):.1f} ms   "
        f"→ one worker sustains about {1000 / statistics.mean(service):.1f} queries/s"
    )

    if args.ruled:
        compare_ruled(client)

    interval = 1.0 / args.rate
    total = int(args.rate * args.seconds)
    latencies: list[float] = []
    per_query: dict[str, list[float]] = {}
    begin = time.perf_counter()
    for i in range(total):
        scheduled = begin + i * interval
        now = time.perf_counter()
        if now < scheduled:
            time.sleep(scheduled - now)
        query = QUERIES[i % len(QUERIES)]
        response = client.get("/api/v1/policies", query)
        done = time.perf_counter()
        if response.status_code != 200:
            raise SystemExit(f"query failed: {response.status_code}")
        ms = (done - scheduled) * 1000
        latencies.append(ms)
        per_query.setdefault(query.get("q", str(query)), []).append(ms)
    wall = time.perf_counter() - begin
    print(
        f"search at {args.rate:g} queries/s for {args.seconds} s over {created:,} policies "
        f"({total} queries, achieved {total / wall:.1f}/s):"
    )
    print(
        f"  p50 {percentile(latencies, 50):.1f} ms   p95 {percentile(latencies, 95):.1f} ms   "
        f"p99 {percentile(latencies, 99):.1f} ms   max {max(latencies):.1f} ms   mean {statistics.mean(latencies):.1f} ms"
    )
    for name, values in per_query.items():
        print(
            f"  {name:<40} hits {hits[name]:>7,}   p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms"
        )
    return 0


def signed_in_client(username: str, field_rules: dict):
    """A client signed in as a staff member whose only role carries ``field_rules``."""
    from django.test import Client

    from qifu.access.models import Role
    from qifu.access.services import assign_role
    from qifu.accounts.models import User
    from qifu.core import tenancy
    from qifu.core.models import Tenant
    from qifu.orgs import services as orgs
    from qifu.orgs.models import Organisation

    tenant = Tenant.objects.get(code="bench")
    with tenancy.tenant_scope(tenant):
        user = User.objects.filter(username=username).first()
        if user is None:
            root = Organisation.objects.filter(kind=Organisation.Kind.ROOT).first() or orgs.create_organisation(
                name="基准测试区", kind=Organisation.Kind.ROOT
            )
            role = Role.objects.create(
                code=username, name=username, permissions=["policies.policy.manage"], field_rules=field_rules
            )
            user = User.objects.create_user(username=username, password="Bench-Signed-2026", name="基准", tenant=tenant)
            orgs.add_member(user, root, is_default=True)
            assign_role(user, root, role)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def compare_ruled(anonymous) -> None:
    """The same queries, interleaved one for one: anonymous, signed in without field rules, and
    signed in with the body hidden — the last two differ only by the rule, the first two by
    signing in (session, membership and role lookups)."""
    clients = {
        "anonymous": anonymous,
        "signed in": signed_in_client("bench-plain", {}),
        "body hidden": signed_in_client("bench-ruled", {"policies.policy": {"body": "hidden"}}),
    }
    for client in clients.values():  # warm up every path
        for query in QUERIES:
            response = client.get("/api/v1/policies", query)
            if response.status_code != 200:
                raise SystemExit(f"query failed: {response.status_code} {response.content[:300]!r}")
    times: dict[str, list[float]] = {label: [] for label in clients}
    per_query: dict[str, dict[str, list[float]]] = {}
    for _round in range(3):
        for query in QUERIES:
            row = per_query.setdefault(query.get("q", str(query)), {label: [] for label in clients})
            for label, client in clients.items():
                started = time.perf_counter()
                client.get("/api/v1/policies", query)
                ms = (time.perf_counter() - started) * 1000
                times[label].append(ms)
                row[label].append(ms)
    print(f"one at a time, interleaved ({len(times['anonymous'])} queries each):")
    for label, values in times.items():
        print(f"  {label:<12} p50 {percentile(values, 50):6.1f} ms   p95 {percentile(values, 95):6.1f} ms")
    ratio = statistics.mean(times["body hidden"]) / statistics.mean(times["signed in"])
    print(f"  body hidden ÷ signed in (the field rule's cost), ratio of means: {ratio:.2f}×")
    for name, row in per_query.items():
        cells = "   ".join(f"{label} {percentile(v, 50):6.1f}" for label, v in row.items())
        print(f"  {name:<40} p50 ms: {cells}")


if __name__ == "__main__":
    raise SystemExit(main())
