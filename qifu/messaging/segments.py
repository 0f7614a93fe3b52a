"""Who a send goes to: resolving a segment into delivery rows, idempotently.

Segments (``Send.segment``):

=================  ===============================================  ====================================
kind               values                                           recipients
=================  ===============================================  ====================================
users              ``user_ids``                                     those users of the tenant
all_enterprises    —                                                members of every enterprise
industry           ``codes`` (GB/T 4754 codes, checked; subtree)    members of enterprises in them
town               ``town_ids`` (镇街 organisations)                members of enterprises in them
role               ``role`` (role code)                             users holding that role
phones             the uploaded file's first column                 those numbers (SMS; users in-site)
credit_codes       the uploaded file's first column                 members of those enterprises
=================  ===============================================  ====================================

Industry codes are checked when the send is created (``sending._check_segment``: a code outside the
GB/T 4754 table would silently reach nobody, so it is refused by name); a 门类 letter covers its
大类, a numeric code every finer code it prefixes (``qifu.orgs.industries.subtree``). 镇街 and roles
must exist as well, and 镇街 and users must lie in the sender's reach.
Enterprises without any member user are still reached by SMS at their contact phone.
There is no "by enterprise tag" segment: the platform has no enterprise tags yet (policy tags
describe policies, not enterprises).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from qifu.messaging import reach
from qifu.messaging.models import Delivery, OptOut, Send

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
KINDS = ("users", "all_enterprises", "industry", "town", "role", "phones", "credit_codes")
MAX_LIST_ROWS = 200_000


@dataclass(frozen=True)
class Recipient:
    user_id: int | None
    phone: str = ""  # address-only recipients (uploaded numbers, enterprise contact phones)

    @property
    def key(self) -> str:
        return f"u:{self.user_id}" if self.user_id else f"p:{self.phone}"


class SegmentError(ValueError):
    pass


def read_list(raw: bytes, kind: str) -> tuple[list[str], list[str]]:
    """First-column values of an uploaded CSV/XLSX: (valid, invalid)."""
    rows: Iterator[str]
    if raw[:2] == b"PK":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = (str(r[0]).strip() if r and r[0] is not None else "" for r in sheet.iter_rows(values_only=True))
    else:
        text = raw.decode("utf-8-sig", errors="replace")
        rows = (r[0].strip() if r else "" for r in csv.reader(io.StringIO(text)))
    pattern = PHONE_RE if kind == "phones" else CREDIT_CODE_RE
    valid, invalid, seen = [], [], set()
    for n, value in enumerate(rows):
        if n >= MAX_LIST_ROWS:
            raise SegmentError(f"名单最多 {MAX_LIST_ROWS} 行，请拆分后分批发送")
        value = value.upper() if kind == "credit_codes" else value
        if not value or value in seen:
            continue
        if pattern.match(value):
            seen.add(value)
            valid.append(value)
        elif n > 0 or value[:1].isdigit():  # a header row is not an error
            invalid.append(value[:40])
    return valid, invalid


def _enterprise_recipients(enterprises) -> Iterator[Recipient]:
    from qifu.orgs.models import Membership

    orgs = dict(enterprises.values_list("organisation_id", "contact_phone"))
    seen_orgs = set()
    for user_id, org_id in (
        Membership.objects.filter(organisation_id__in=list(orgs), user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", "organisation_id")
    ):
        seen_orgs.add(org_id)
        yield Recipient(user_id)
    for org_id, phone in orgs.items():
        if org_id not in seen_orgs and phone and PHONE_RE.match(phone):
            yield Recipient(None, phone)


def resolve(send: Send) -> Iterator[Recipient]:
    """The recipients of the send's segment, inside the sender's reach (``qifu.messaging.reach``)."""
    from qifu.orgs.models import Enterprise

    segment = send.segment or {}
    kind = segment.get("kind")
    User = get_user_model()
    tenant_users = reach.users(User.objects.filter(tenant_id=send.tenant_id, is_active=True), send.reach)
    enterprises = reach.enterprises(Enterprise.objects.all(), send.reach)
    if kind == "users":
        for pk in tenant_users.filter(pk__in=segment.get("user_ids", [])).order_by("pk").values_list("pk", flat=True):
            yield Recipient(pk)
    elif kind == "all_enterprises":
        yield from _enterprise_recipients(enterprises)
    elif kind == "industry":
        from qifu.orgs.industries import subtree

        # a 门类 letter reaches its 大类 too (a prefix match on "C" found only enterprises filed under "C")
        yield from _enterprise_recipients(enterprises.filter(subtree(segment.get("codes") or [])))
    elif kind == "town":
        yield from _enterprise_recipients(enterprises.filter(town_id__in=segment.get("town_ids", [])))
    elif kind == "role":
        from qifu.access.models import RoleAssignment

        users = RoleAssignment.objects.filter(role__code=segment.get("role", "")).values_list("user_id", flat=True)
        for pk in tenant_users.filter(pk__in=users).order_by("pk").values_list("pk", flat=True):
            yield Recipient(pk)
    elif kind == "phones":
        phones = segment.get("values") or _upload_values(send, "phones")
        known: dict[str, int] = {}
        contacts: set[str] = set()
        for start in range(0, len(phones), 5000):  # bounded IN lists
            part = phones[start : start + 5000]
            known.update(tenant_users.filter(phone__in=part).values_list("phone", "pk"))
            if send.reach is not None:
                contacts.update(enterprises.filter(contact_phone__in=part).values_list("contact_phone", flat=True))
        for phone in phones:
            if phone in known or send.reach is None or phone in contacts:  # a restricted sender: known numbers only
                yield Recipient(known.get(phone), phone)
    elif kind == "credit_codes":
        codes = segment.get("values") or _upload_values(send, "credit_codes")
        yield from _enterprise_recipients(enterprises.filter(credit_code__in=codes))
    else:
        raise SegmentError(f"未知的接收人范围 {kind!r}")


def _upload_values(send: Send, kind: str) -> list[str]:
    from django.core.files.storage import default_storage

    if send.upload is None:
        return []
    with default_storage.open(send.upload.storage_name, "rb") as fh:
        valid, _ = read_list(fh.read(), kind)
    return valid


def opted_out(category: str, user_ids: Iterable[int]) -> dict[int, set[str]]:
    """user id -> channels opted out of for this category ('' = all external channels)."""
    result: dict[int, set[str]] = {}
    if not category:
        return result
    for user_id, channel in OptOut.objects.filter(category=category, user_id__in=list(user_ids)).values_list(
        "user_id", "channel"
    ):
        result.setdefault(user_id, set()).add(channel)
    return result


def build_rows(send: Send, recipients: list[Recipient]) -> list[Delivery]:
    """Delivery rows for a batch of recipients on every channel of the send (a few queries per batch)."""
    from qifu.messaging.delivery import addresses

    User = get_user_model()
    user_ids = [r.user_id for r in recipients if r.user_id]
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    outs = {} if send.essential else opted_out(send.category, users)
    by_channel = {channel: addresses(users, channel) for channel in send.channels if channel != "inapp"}
    rows = []
    now = timezone.now()
    for r in recipients:
        user = users.get(r.user_id) if r.user_id else None
        for channel in send.channels:
            if channel == "inapp":
                if user is None:
                    continue
                address = str(user.pk)
            elif user is not None:
                address = by_channel[channel].get(user.pk, "") or (r.phone if channel == "sms" else "")
            else:
                address = r.phone if channel == "sms" else ""
            state, reason = Delivery.State.QUEUED, ""
            if channel != "inapp" and user is not None and ({channel, ""} & outs.get(user.pk, set())):
                state, reason = Delivery.State.SKIPPED, "接收人已退订此类消息"
            elif not address:
                state, reason = Delivery.State.SKIPPED, "接收人没有该渠道的地址"
            rows.append(
                Delivery(
                    tenant_id=send.tenant_id,
                    send=send,
                    channel=channel,
                    recipient_key=r.key,
                    user=user,
                    address=address,
                    state=state,
                    reason=reason,
                    created_at=now,
                    updated_at=now,
                )
            )
    return rows


def materialise(send: Send, recipients: Iterable[Recipient] | None = None, batch: int = 2000) -> int:
    """Create the send's delivery rows. Safe to repeat: existing rows are left alone."""
    pending: list[Recipient] = []
    source = resolve(send) if recipients is None else recipients

    def flush():
        if pending:
            Delivery.objects.bulk_create(build_rows(send, pending), ignore_conflicts=True, batch_size=batch)
            pending.clear()

    for recipient in source:
        pending.append(recipient)
        if len(pending) >= batch:
            flush()
    flush()
    total = Delivery.objects.filter(send=send).count()
    Send.objects.filter(pk=send.pk).update(prepared_at=timezone.now(), total=total)
    send.prepared_at = timezone.now()
    send.total = total
    return total
