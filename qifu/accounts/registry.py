"""Adapter to an external enterprise registry (e.g. the market-regulation bureau's API).

Configured by QIFU_REGISTRY_URL (and QIFU_REGISTRY_TOKEN, QIFU_REGISTRY_TIMEOUT_SECONDS).
The platform POSTs ``{"credit_code": ...}`` as JSON with ``Authorization: Bearer <token>``
and expects ``{"found": bool, "name": str, "legal_rep_name": str, "status": str}``.

Result: ``match`` (certify), ``mismatch`` (reject with the reason) or ``unavailable``
(nothing configured, timeout, HTTP error, bad answer → staff review).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx

from qifu.accounts import conf

logger = logging.getLogger("qifu.identity.registry")

MATCH = "match"
MISMATCH = "mismatch"
UNAVAILABLE = "unavailable"
# Registered but no longer trading: certification is refused.
INACTIVE_STATUSES = ("注销", "吊销", "撤销", "迁出")


@dataclass
class Verification:
    result: str
    reason: str = ""
    raw: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"result": self.result, "reason": self.reason, "registry": self.raw}


def _normalise(text: str) -> str:
    # Registries and people disagree on bracket width and spaces; nothing else is forgiven.
    return (text or "").replace("(", "（").replace(")", "）").replace(" ", "").replace("\u3000", "").strip()


def verify(*, credit_code: str, company_name: str, legal_rep_name: str) -> Verification:
    url = conf.get("REGISTRY_URL")
    if not url:
        return Verification(UNAVAILABLE, "未配置登记机关核验接口，转人工审核")
    headers = {"Accept": "application/json"}
    token = conf.get("REGISTRY_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(
            url, json={"credit_code": credit_code}, headers=headers, timeout=conf.get("REGISTRY_TIMEOUT_SECONDS")
        )
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict) or "found" not in body:
            raise ValueError("answer lacks 'found'")
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("registry verification unavailable: %s", exc)
        return Verification(UNAVAILABLE, "登记机关核验接口暂不可用，转人工审核")
    raw = {k: body.get(k) for k in ("found", "name", "legal_rep_name", "status") if k in body}
    if not body.get("found"):
        return Verification(MISMATCH, "登记机关未查询到该统一社会信用代码", raw)
    problems = []
    if _normalise(str(body.get("name", ""))) != _normalise(company_name):
        problems.append("企业名称与登记信息不一致")
    if _normalise(str(body.get("legal_rep_name", ""))) != _normalise(legal_rep_name):
        problems.append("法定代表人与登记信息不一致")
    status = str(body.get("status", ""))
    if any(word in status for word in INACTIVE_STATUSES):
        problems.append(f"登记状态为“{status}”")
    if problems:
        return Verification(MISMATCH, "；".join(problems), raw)
    return Verification(MATCH, "登记机关核验一致", raw)
