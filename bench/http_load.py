"""HTTP load at 500 open connections against the production server (gunicorn on PostgreSQL + Redis).

Measures in one run, with wrk:
  (a) a cached anonymous portal read       GET /api/v1/platform/site
  (b) an authenticated, scoped, paginated list GET /api/v1/access/enterprises?page=2&size=20 (town staff)
  (c) the bare framework ceiling, no database GET /api/v1/platform/ping
and prints requests/s, p50 and p99 for each and the ratios (a)/(c), (b)/(c); then
  (d) the seeds' "500 concurrent users": (b) with every connection pausing ~5 s between requests.
The load generator shares the machine's cores with the server: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, ensure_database, manage, production_env, reachable

PORT = 8765


def login(username: str, password: str) -> str:
    """Session cookie header value for a user (cookies are Secure in production: handled by hand)."""

    def cookies_from(response) -> dict[str, str]:
        jar = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name] = rest.split(";", 1)[0]
        return jar

    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("GET", "/api/v1/auth/csrf")
    response = conn.getresponse()
    response.read()
    jar = cookies_from(response)
    token = jar["qifu_csrftoken"]
    body = json.dumps({"username": username, "password": password})
    conn.request(
        "POST",
        "/api/v1/auth/login",
        body=body,
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Cookie": f"qifu_csrftoken={token}",
            "Referer": f"http://127.0.0.1:{PORT}/",
        },
    )
    response = conn.getresponse()
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"login failed: {response.status} {payload[:300]!r}")
    jar.update(cookies_from(response))
    return f"qifu_session={jar['qifu_session']}"


def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


THINK_SCRIPT = ROOT / "bench" / "results" / "think.lua"


def run_wrk(path: str, connections: int, duration: int, cookie: str | None = None, think_ms: int = 0) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if think_ms:
        # Each connection is a person who pauses between clicks: uniform 0.5x–1.5x of the mean.
        THINK_SCRIPT.parent.mkdir(exist_ok=True)
        THINK_SCRIPT.write_text(
            f"function delay() return math.random({think_ms // 2}, {think_ms * 3 // 2}) end\n", encoding="utf-8"
        )
        cmd += ["-s", str(THINK_SCRIPT)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(f"http://127.0.0.1:{PORT}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think-ms", type=int, default=5000, help="mean pause between one user's requests in (d)")
    args = parser.parse_args()

    why = reachable()
    if not why and not shutil.which("wrk"):
        why = "wrk is not installed (apt-get install wrk)"
    if why:
        print(f"http_load: cannot run — {why}", file=sys.stderr)
        return 2

    data_dir = tempfile.mkdtemp(prefix="qifu-bench-")
    env = production_env(ensure_database("qifu_bench_http"), data_dir)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", "--allow-production")  # a throw-away benchmark database
    import redis

    redis.Redis.from_url(env["QIFU_REDIS_URL"]).flushdb()  # no stale sessions or cached pages

    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "qifu.wsgi", "-b", f"127.0.0.1:{PORT}",
            "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
            "--backlog", "2048", "--log-level", "warning",
        ],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        cookie = login("staff-a", "Qifu@2026demo")
        targets = {
            "c_ceiling": ("/api/v1/platform/ping", None),
            "a_cached_portal": ("/api/v1/platform/site", None),
            "b_scoped_list": ("/api/v1/access/enterprises?page=2&size=20", cookie),
        }
        results = {}
        for name, (path, auth) in targets.items():
            run_wrk(path, 50, 3, auth)  # warm-up: connections, caches, query plans
            results[name] = run_wrk(path, args.connections, args.duration, auth)
        # (d) the seeds' "500 concurrent users": the scoped list again, each user thinking between requests.
        results["d_users_thinking"] = run_wrk(
            targets["b_scoped_list"][0], args.connections, max(args.duration, 30), cookie, think_ms=args.think_ms
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    ceiling = results["c_ceiling"]["rps"]
    print(
        f"\nHTTP load: {args.connections} connections, {args.duration}s each, gunicorn {args.workers}x{args.threads} gthread"
    )
    print(f"{'endpoint':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}  vs ceiling")
    for name, r in results.items():
        print(
            f"{name:<22}{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['non_2xx']:>9}  {r['rps'] / ceiling:>6.2f}"
        )
    print(f"ratio (a)/(c) = {results['a_cached_portal']['rps'] / ceiling:.2f}")
    print(f"ratio (b)/(c) = {results['b_scoped_list']['rps'] / ceiling:.2f}")
    d = results["d_users_thinking"]
    print(
        f"(d) {args.connections} users on the scoped list, {args.think_ms / 1000:.1f} s mean think time: "
        f"{d['rps']:.0f} req/s, p50 {d['p50_ms']:.0f} ms, p99 {d['p99_ms']:.0f} ms"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "http_load.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
