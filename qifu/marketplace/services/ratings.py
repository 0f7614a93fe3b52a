"""Satisfaction ratings (满意度评价): the enterprise rates once, the institution replies once."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qifu.core import audit
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.marketplace import events
from qifu.marketplace.models import Application, InstitutionStats, Product, Rating
from qifu.marketplace.services.applications import _context, _lock, _move
from qifu.marketplace.services.common import enterprise_people, institution_people, notify, town_staff
from qifu.marketplace.transitions import ENTERPRISE


@transaction.atomic
def rate(app: Application, *, score: int, reasons: list[str], comment: str = "") -> Rating:
    if not 1 <= int(score) <= 5:
        raise ApiError("marketplace.score_invalid", "评分应为 1 到 5 星", status=422)
    app = _lock(app)
    if app.status == Application.Status.RATED or Rating.objects.filter(application=app).exists():
        raise Conflict("marketplace.already_rated", "该服务已评价过，不能重复评价")
    category = app.product.category
    _prompt, positive, negative = category.survey()
    offered = positive if score >= 4 else negative
    reasons = list(dict.fromkeys(str(r) for r in reasons or []))
    unknown = [r for r in reasons if r not in offered]
    if unknown:
        raise ApiError(
            "marketplace.reason_unknown",
            f"评价原因「{unknown[0]}」不在该类别{'满意' if score >= 4 else '不满意'}选项中",
            status=422,
            detail={"offered": offered},
        )
    _move(app, "rate", ENTERPRISE, note=f"{score} 星")
    rating = Rating.objects.create(
        application=app,
        product=app.product,
        institution=app.institution,
        enterprise=app.enterprise,
        score=score,
        reasons=reasons,
        comment=(comment or "").strip()[:500],
    )
    Product.objects.filter(pk=app.product_id).update(
        rating_count=F("rating_count") + 1, rating_total=F("rating_total") + score
    )
    InstitutionStats.objects.get_or_create(institution=app.institution)
    InstitutionStats.objects.filter(institution=app.institution).update(
        rating_count=F("rating_count") + 1, rating_total=F("rating_total") + score
    )
    audit.record("marketplace.rating.create", rating, changes=audit.diff({}, audit.snapshot(rating)))
    notify(events.APPLICATION_RATED, institution_people(app.institution), _context(app, score=str(score)))
    if app.subsidy_status == Application.Subsidy.RESERVED:
        # The application now waits for the town's verification: tell the staff who can verify it.
        notify(
            events.SUBSIDY_AWAITING,
            town_staff(app.enterprise),
            _context(app, amount=str(app.subsidy_amount), programme=app.subsidy_programme.name),
            link="/console/marketplace/subsidies",
        )
    return rating


@transaction.atomic
def reply(rating: Rating, *, text: str) -> Rating:
    text = (text or "").strip()
    if not text:
        raise ApiError("marketplace.reply_empty", "请填写回复内容", status=422)
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    if rating.replied_at is not None:
        raise RuleViolation("marketplace.already_replied", "每条评价只能回复一次")
    rating.reply = text[:500]
    rating.replied_at = timezone.now()
    rating.save(update_fields=["reply", "replied_at", "updated_at"])
    audit.record("marketplace.rating.reply", rating, changes={"reply": {"after": rating.reply}})
    app = rating.application
    notify(
        events.APPLICATION_PROGRESS,
        enterprise_people(app.enterprise),
        _context(app, status="收到机构对评价的回复"),
    )
    return rating
