from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

KindCode = Literal["news", "notice", "activity", "guide", "faq"]
PlacementCode = Literal["banner", "feed", "announcement", "hot_product", "activity"]


class ArticleFilter(Schema):
    kind: KindCode | None = None
    q: str | None = Field(None, max_length=50)
    category: str | None = Field(None, max_length=50)


class AdminArticleFilter(ArticleFilter):
    status: Literal["draft", "published", "archived"] | None = None


class ArticleOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    summary: str
    category: str
    cover_url: str
    cover_id: int | None
    status: str
    status_label: str
    pinned: bool
    published_at: dt.datetime | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    location: str
    signup_enabled: bool
    signup_deadline: dt.datetime | None
    capacity: int | None
    signed_up: int


class ArticleDetail(ArticleOut):
    body: str = Field(description="已净化的富文本 HTML")
    my_signup: bool


class ArticleIn(Schema):
    kind: KindCode
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=500)
    body: str = Field("", max_length=300000)
    category: str = Field("", max_length=50)
    cover_id: int | None = None
    pinned: bool = False
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    location: str = Field("", max_length=200)
    signup_enabled: bool = False
    signup_deadline: dt.datetime | None = None
    capacity: int | None = Field(None, ge=1, le=100000)


class SignupIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field(..., min_length=7, max_length=20)
    organisation_name: str = Field("", max_length=200)
    note: str = Field("", max_length=200)


class SignupOut(Schema):
    id: int
    article_id: int
    article_title: str
    name: str
    phone: str
    organisation_name: str
    note: str
    status: str
    created_at: dt.datetime


class SlotOut(Schema):
    id: int
    placement: str
    title: str
    subtitle: str
    image_url: str
    link_url: str
    sort: int


class SlotAdminOut(SlotOut):
    placement_label: str
    image_id: int | None
    article_id: int | None
    product_id: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    is_active: bool
    is_live: bool


class SlotIn(Schema):
    placement: PlacementCode
    title: str = Field(..., min_length=1, max_length=100)
    subtitle: str = Field("", max_length=200)
    image_id: int | None = None
    link_url: str = Field("", max_length=500)
    article_id: int | None = None
    product_id: int | None = Field(None, description="热门产品位：关联的服务产品（须为上架中的产品）")
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    sort: int = Field(0, ge=-100000, le=100000)
    is_active: bool = True


class ReorderIn(Schema):
    placement: PlacementCode
    ids: list[int] = Field(..., min_length=1, max_length=200)


class SlotsOut(Schema):
    banner: list[SlotOut]
    feed: list[SlotOut]
    announcement: list[SlotOut]
    hot_product: list[SlotOut]
    activity: list[SlotOut]


class CounterOut(Schema):
    key: str
    label: str
    unit: str
    value: float


class IntroOut(Schema):
    title: str
    body: str
    video_url: str
    counters: list[CounterOut]


class IntroIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    body: str = Field("", max_length=100000)
    video_url: str = Field("", max_length=500)


class FeedItem(Schema):
    id: int
    category: str
    category_label: str
    text: str
    at: dt.datetime


class HomeOut(Schema):
    slots: SlotsOut
    notices: list[ArticleOut]
    intro: IntroOut
    feed: list[FeedItem]


class ImageOut(Schema):
    id: int
    url: str
