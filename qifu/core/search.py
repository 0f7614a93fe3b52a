"""The one full-text search interface: Chinese text segmented by jieba, indexed by
PostgreSQL full-text (``simple`` config, tsvector + GIN) or SQLite FTS5.

An app makes a model searchable in three steps:

1. declare the index (e.g. in ``qifu/<app>/search_index.py``) and register it — each field its
   own weight, and the model fields its text is made of (checked by ``register``)::

       PRODUCTS = search.register(search.SearchIndex(
           name="marketplace_products", model="marketplace.product",
           fields={"title": "A", "provider": "B", "description": "C"},
           sources={"title": ("name",), "provider": ("institution__name",), "description": ("summary", "description")},
           document=lambda p: {"title": p.name, "provider": p.institution.name, "description": p.body_text},
       ))

2. create its storage in one of the app's migrations (never in core)::

       operations = [search.CreateSearchIndex("marketplace_products", fields=("title", "provider", "description"))]

3. keep it current from the services that write the model (same transaction)::

       search.index(PRODUCTS, product)      # after create/update
       search.remove(PRODUCTS, product.pk)   # after delete

Reads go through ``search.filter(PRODUCTS, queryset, q, ctx=request.ctx)`` which returns the
queryset restricted to matches and annotated with ``search_rank`` (order by ``-search_rank`` for
relevance); all other filters, scoping and pagination stay ordinary Django. Snippets and
highlighting are done on the original text with ``search.snippet(text, terms)``.

Field rules (docs/architecture-access.md): the side table is outside the ORM, so
``fieldrules.restrict_filters`` cannot see a match in it. Instead ``filter``, ``ranked_page`` and
``suggest`` take the request context and leave out every index field one of whose ``sources`` is
hidden or masked for the user (through a relation too: ``institution__name``; the least strict
relevant role decides, platform admins have no rules). Such a field neither matches nor ranks,
so "which rows hold this word in the hidden body" cannot be asked; every field withheld, nothing
matches. PostgreSQL keeps ``document @@ q`` for the GIN index and rechecks
``ts_filter(document, '{allowed weights}') @@ q``, ranking ``ts_filter`` of the ranked part;
SQLite prefixes the quoted terms with an FTS5 column filter ``{title summary} : (…)`` and gives
withheld columns bm25 weight 0. Without rules none of this is added (the fast path is unchanged).
``suggest`` answers nothing when its field is withheld; snippets must be cut from visible fields
only (``fieldrules.withheld(ctx, model, field)``).

Storage is a side table ``search_<name>`` keyed by the object's id and carrying the
tenant id, so an index never leaks rows of another tenant: ``filter`` always restricts
to the active tenant scope.

Ranking on a few weights only (``rank_weights=("A", "B")``): every field still *matches*, but
only fields of those weights count for relevance — long bodies then filter without being
ranked. On PostgreSQL the ranked part is a small generated column (``rank_document =
ts_filter(document, …)``, added by the ``AddSearchRankVector`` migration operation), so ranking
thousands of matches no longer reads every large, TOASTed document; SQLite's bm25 gives the
other fields weight 0. ``weight_values`` sets each weight's factor (PostgreSQL's defaults
A 1.0, B 0.4, C 0.2, D 0.1 otherwise; bm25 uses the same ×10), so two fields with their own
weights can still count the same. Matches with equal rank come newest first.

Query text never reaches SQL or the FTS5 query language unescaped: terms are segmented,
reduced to word characters, and quoted.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connection
from django.db.migrations.operations.base import Operation
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL

from qifu.core import fieldrules, tenancy

WEIGHTS = ("A", "B", "C", "D")
# PostgreSQL's default ts_rank factor of each weight; an index may set its own (``weight_values``).
DEFAULT_WEIGHT_VALUES = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
# FTS5 bm25 column weights are the same factors scaled (bm25 wants weights around 1–10).
_FTS_SCALE = 10.0
MAX_TERMS = 12
MAX_QUERY_LENGTH = 100

# Domain vocabulary that jieba's general dictionary splits wrongly; apps may add more.
DEFAULT_WORDS = [
    "专精特新", "小巨人", "高新技术企业", "高企", "科技型中小企业", "创新型中小企业", "加计扣除", "研发费用",
    "稳岗补贴", "稳岗返还", "首贷", "贴息", "首贷贴息", "瞪羚企业", "独角兽企业", "单项冠军", "技术改造",
    "智能化改造", "数字化转型", "知识产权", "专利", "人才引进", "以工代训", "社保补贴", "创业担保贷款",
    "普惠金融", "融资担保", "中小微企业", "个体工商户", "留抵退税", "增值税", "企业所得税", "惠企政策",
    "政策兑现", "工业互联网", "上云用云", "首台套", "绿色工厂", "专利导航", "商标", "孵化器", "众创空间",
]  # fmt: skip

_lock = threading.Lock()
_jieba = None
_extra_words: list[str] = []
_WORD = re.compile(r"\w+", re.UNICODE)


def _segmenter():
    """jieba, loaded once per process on first use (its dictionary takes about a second)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word in DEFAULT_WORDS + _extra_words:
                    jieba.add_word(word, freq=200000)
                _jieba = jieba
    return _jieba


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter domain words (call at import time of the app declaring an index)."""
    words = list(words)
    _extra_words.extend(words)
    if _jieba is not None:
        for word in words:
            _jieba.add_word(word, freq=200000)


def tokens(text: str | None) -> list[str]:
    """Search tokens of ``text``: jieba's search-mode cut (words and their sub-words), lower-cased.

    HMM new-word guessing is off so a document and a query containing the same string
    are always cut the same way, whatever surrounds it.
    """
    if not text:
        return []
    jieba = _segmenter()
    out = []
    for token in jieba.cut_for_search(text.lower(), HMM=False):
        for word in _WORD.findall(token):
            out.append(word)
    return out


def segment(text: str | None) -> str:
    return " ".join(tokens(text))


def query_terms(q: str | None) -> list[str]:
    """The distinct terms of a user's query (word characters only, at most MAX_TERMS)."""
    if not q:
        return []
    jieba = _segmenter()
    terms: list[str] = []
    # Precise mode for the query: sub-words of a long word would only repeat what the word matches.
    for token in jieba.cut(q[:MAX_QUERY_LENGTH].lower(), HMM=False):
        for word in _WORD.findall(token):
            if word not in terms:
                terms.append(word)
    return terms[:MAX_TERMS]


@dataclass(frozen=True)
class SearchIndex:
    name: str  # table is search_<name>
    model: str  # "app_label.modelname"
    fields: dict[str, str]  # field → weight A–D, one weight per field, in column order
    document: Callable[[Any], dict[str, str]]  # object → {field: plain text}
    # field → the model fields its text is made of (ORM paths: "summary", "institution__name"):
    # a field is left out of matching and ranking for a user who may not see one of them.
    sources: dict[str, tuple[str, ...]]
    rank_weights: tuple[str, ...] | None = None  # weights that count for ranking; None: all
    weight_values: dict[str, float] | None = None  # ranking factor per weight; None: DEFAULT_WEIGHT_VALUES

    @property
    def table(self) -> str:
        return f"search_{self.name}"

    def factor(self, weight: str) -> float:
        return (self.weight_values or DEFAULT_WEIGHT_VALUES).get(weight, DEFAULT_WEIGHT_VALUES[weight])


REGISTRY: dict[str, SearchIndex] = {}


def register(index: SearchIndex) -> SearchIndex:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", index.name):
        raise ValueError(f"bad search index name {index.name!r}")
    if not index.fields or any(w not in WEIGHTS for w in index.fields.values()):
        raise ValueError("fields must map names to weights A–D")
    if len(set(index.fields.values())) != len(index.fields):
        # PostgreSQL keeps only the weight of a lexeme: a field sharing its weight could not be left out alone.
        raise ValueError(f"{index.name}: each field needs a weight of its own (at most four fields)")
    if index.rank_weights is not None and (not index.rank_weights or any(w not in WEIGHTS for w in index.rank_weights)):
        raise ValueError("rank_weights must be a non-empty subset of A–D")
    values = index.weight_values or {}
    if any(w not in WEIGHTS or not isinstance(v, (int, float)) or not 0 <= v <= 1 for w, v in values.items()):
        raise ValueError("weight_values must map weights A–D to factors between 0 and 1")
    if set(index.sources) != set(index.fields):
        raise ValueError(f"{index.name}: sources must name the model fields of every index field, and only those")
    model = apps.get_model(index.model)
    for name, paths in index.sources.items():
        if not paths or isinstance(paths, str):
            raise ValueError(f"{index.name}.{name}: sources must be a non-empty tuple of model field paths")
        for path in paths:
            try:
                fieldrules.path_hops(model, path)
            except (FieldDoesNotExist, ValueError) as exc:
                raise ValueError(f"{index.name}.{name}: source {path!r} is not a field path of {index.model}") from exc
    REGISTRY[index.name] = index
    return index


# --------------------------------------------------------------------------- field rules
def restricted_fields(index: SearchIndex, ctx) -> frozenset[str]:
    """The index fields derived from a model field the request may not see (hidden or masked)."""
    if ctx is None or not index.sources:
        return frozenset()
    return frozenset(name for name, paths in index.sources.items() if any(fieldrules.withheld(ctx, index.model, p) for p in paths))


def _allowed(index: SearchIndex, ctx) -> list[str] | None:
    """The index fields this request may match and rank on; None when it may use all of them."""
    restricted = restricted_fields(index, ctx)
    if not restricted:
        return None
    return [f for f in index.fields if f not in restricted]


def _vendor() -> str:
    return connection.vendor


def _rank_column(index: SearchIndex) -> str:
    """The tsvector ranked on PostgreSQL: the small ranked part, or the whole document."""
    return "rank_document" if index.rank_weights else "document"


def _letters(weights: Iterable[str]) -> str:
    """A ``"char"[]`` literal of weights for ``ts_filter`` (only A–D ever reach it)."""
    return "'{" + ",".join(sorted(w.lower() for w in weights)) + "}'"


def _pg_factors(index: SearchIndex) -> str:
    # ts_rank's weights array is ordered {D, C, B, A}.
    return "'{" + ",".join(repr(float(index.factor(w))) for w in reversed(WEIGHTS)) + "}'::float4[]"


def _pg_rank(index: SearchIndex, allowed: list[str] | None, prefix: str = "") -> str:
    """The relevance expression over the part of the document the request may rank on."""
    column = f"{prefix}{_rank_column(index)}"
    if allowed is not None:
        ranked = {w for w in index.fields.values() if w in (index.rank_weights or WEIGHTS)}
        keep = ranked & {index.fields[f] for f in allowed}
        if not keep:
            return "0.0"
        if keep != ranked:  # a withheld field is part of the ranked vector: rank without its lexemes
            column = f"ts_filter({column}, {_letters(keep)})"
    return f"ts_rank({_pg_factors(index)}, {column}, plainto_tsquery('simple', %s))"


def _pg_recheck(index: SearchIndex, allowed: list[str], prefix: str = "") -> str:
    """The query must match within the allowed fields; ``document @@ q`` stays for the GIN index."""
    return f"ts_filter({prefix}document, {_letters(index.fields[f] for f in allowed)}) @@ plainto_tsquery('simple', %s)"


def _bm25_weights(index: SearchIndex, allowed: list[str] | None = None) -> str:
    ranked = set(index.rank_weights or WEIGHTS)
    return ", ".join(
        str(index.factor(w) * _FTS_SCALE if w in ranked and (allowed is None or f in allowed) else 0.0)
        for f, w in index.fields.items()
    )


# --------------------------------------------------------------------------- storage (migrations)
def _create_sql(vendor: str, name: str, fields: tuple[str, ...]) -> list[str]:
    table = f"search_{name}"
    if vendor == "postgresql":
        return [
            f'CREATE TABLE "{table}" (object_id bigint PRIMARY KEY, tenant_id bigint NOT NULL, document tsvector NOT NULL)',
            f'CREATE INDEX "{table}_document_gin" ON "{table}" USING GIN (document)',
            f'CREATE INDEX "{table}_tenant" ON "{table}" (tenant_id)',
        ]
    if vendor == "sqlite":
        columns = ", ".join(fields)
        return [f"CREATE VIRTUAL TABLE \"{table}\" USING fts5(tenant_id UNINDEXED, {columns}, tokenize='unicode61')"]
    # The architecture supports exactly PostgreSQL and SQLite; anything else is a deployment error.
    raise ImproperlyConfigured(f"full-text search needs PostgreSQL or SQLite, not {vendor}")


class CreateSearchIndex(Operation):
    """Migration operation creating the storage of a search index on the current backend."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, name: str, fields: tuple[str, ...] | list[str]):
        self.name = name
        self.fields = tuple(fields)
        for value in (name, *self.fields):
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", value):
                raise ValueError(f"bad identifier {value!r}")

    def deconstruct(self):
        return self.__class__.__name__, [self.name, self.fields], {}

    def state_forwards(self, app_label, state):
        pass  # not a Django model: the side table lives outside the migration state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in _create_sql(schema_editor.connection.vendor, self.name, self.fields):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(f'DROP TABLE IF EXISTS "search_{self.name}"')

    def describe(self):
        return f"Create full-text search index search_{self.name}"


class AddSearchRankVector(Operation):
    """Migration operation: on PostgreSQL, a stored generated column ``rank_document`` holding
    only the lexemes of ``weights`` (filled for existing rows at once; kept current by
    PostgreSQL). Declare the same weights as the index's ``rank_weights``. SQLite: nothing."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, name: str, weights: tuple[str, ...] | list[str]):
        self.name = name
        self.weights = tuple(weights)
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", name):
            raise ValueError(f"bad identifier {name!r}")
        if not self.weights or any(w not in WEIGHTS for w in self.weights):
            raise ValueError("weights must be a non-empty subset of A–D")

    def deconstruct(self):
        return self.__class__.__name__, [self.name, self.weights], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            letters = ",".join(w.lower() for w in self.weights)
            schema_editor.execute(
                f'ALTER TABLE "search_{self.name}" ADD COLUMN rank_document tsvector '
                f"GENERATED ALWAYS AS (ts_filter(document, '{{{letters}}}')) STORED"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'ALTER TABLE "search_{self.name}" DROP COLUMN IF EXISTS rank_document')

    def describe(self):
        return f"Add the ranked part of search_{self.name} ({''.join(self.weights)})"


class RemoveSearchRankVector(AddSearchRankVector):
    """The inverse of ``AddSearchRankVector``: drops ``rank_document`` (before an index is
    re-weighted; ``weights`` are the ones it had, to put it back when migrating backwards)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Remove the ranked part of search_{self.name}"


# --------------------------------------------------------------------------- writing
# SQL below interpolates only identifiers checked by register()/CreateSearchIndex (a-z0-9_)
# and Django's own table names; every value travels as a query parameter (hence the noqa).
def _rows(index: SearchIndex, objs: Iterable[Any]) -> list[tuple]:
    rows = []
    for obj in objs:
        doc = index.document(obj)
        rows.append((obj.pk, obj.tenant_id, *[segment(doc.get(f, "")) for f in index.fields]))
    return rows


def index_many(index: SearchIndex, objs: Iterable[Any]) -> int:
    """(Re)index objects; returns how many were written."""
    rows = _rows(index, objs)
    if not rows:
        return 0
    table = index.table
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            vector = " || ".join(
                f"setweight(to_tsvector('simple', %s), '{weight}')" for weight in index.fields.values()
            )
            sql = (
                f'INSERT INTO "{table}" (object_id, tenant_id, document) VALUES (%s, %s, {vector}) '  # noqa: S608
                "ON CONFLICT (object_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, document = EXCLUDED.document"
            )
            cursor.executemany(sql, rows)
        else:
            ids = [(row[0],) for row in rows]
            cursor.executemany(f'DELETE FROM "{table}" WHERE rowid = %s', ids)  # noqa: S608
            columns = ", ".join(index.fields)
            marks = ", ".join(["%s"] * (len(index.fields) + 2))
            cursor.executemany(f'INSERT INTO "{table}" (rowid, tenant_id, {columns}) VALUES ({marks})', rows)  # noqa: S608
    return len(rows)


def index(index: SearchIndex, obj: Any) -> None:
    index_many(index, [obj])


def remove(index: SearchIndex, object_id: int) -> None:
    column = "object_id" if _vendor() == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{index.table}" WHERE {column} = %s', [object_id])  # noqa: S608


def rebuild(index: SearchIndex, queryset: QuerySet, batch: int = 500) -> int:
    """Re-index every object of ``queryset`` (in the active tenant scope) in batches."""
    total = 0
    chunk: list[Any] = []
    for obj in queryset.iterator(chunk_size=batch):
        chunk.append(obj)
        if len(chunk) >= batch:
            total += index_many(index, chunk)
            chunk = []
    return total + index_many(index, chunk)


# --------------------------------------------------------------------------- reading
def _fts5_query(terms: list[str], columns: list[str] | None = None) -> str:
    # Each term becomes an FTS5 string literal (double quotes doubled), ANDed: no operator,
    # column filter or NEAR() in user input can reach the FTS5 parser. The column filter is
    # ours, made of checked index field names.
    query = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return query if columns is None else "{" + " ".join(columns) + "} : (" + query + ")"


def _no_rank() -> RawSQL:
    return RawSQL("0.0", [], output_field=FloatField())


def filter(index: SearchIndex, queryset: QuerySet, q: str | None, *, ctx) -> QuerySet:
    """``queryset`` restricted to rows matching ``q`` and annotated with ``search_rank``.

    ``ctx`` is the request context (``None`` for the system: jobs, benchmarks): index fields
    derived from a model field hidden or masked for the user neither match nor rank, and when
    every field is withheld nothing matches. An empty query (or one with no word characters)
    returns the queryset unchanged with ``search_rank = 0``. Always restricted to the active tenant.
    """
    terms = query_terms(q)
    if not terms:
        return queryset.annotate(search_rank=_no_rank())
    allowed = _allowed(index, ctx)
    if allowed == []:
        return queryset.none().annotate(search_rank=_no_rank())
    tenant = tenancy.current_tenant()
    model_table = queryset.model._meta.db_table
    pk = queryset.model._meta.pk.column
    table = index.table
    if _vendor() == "postgresql":
        # A join (not IN + a per-row rank subquery): one pass over the GIN matches, ranked as joined.
        text = " ".join(terms)
        rank = _pg_rank(index, allowed, prefix=f'"{table}".')
        where = [
            f'"{table}".object_id = "{model_table}"."{pk}"',
            f'"{table}".tenant_id = %s',
            f"\"{table}\".document @@ plainto_tsquery('simple', %s)",
        ]
        params = [tenant.pk, text]
        if allowed is not None:
            where.append(_pg_recheck(index, allowed, prefix=f'"{table}".'))
            params.append(text)
        return queryset.extra(  # noqa: S610 — identifiers are checked names; values are parameters
            select={"search_rank": rank},
            select_params=[text] if "%s" in rank else [],
            tables=[table],
            where=where,
            params=params,
        )
    fts = _fts5_query(terms, allowed)
    weights = _bm25_weights(index, allowed)
    matches = RawSQL(f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s AND tenant_id = %s', [fts, tenant.pk])  # noqa: S608, S611
    rank = RawSQL(  # noqa: S611
        f'SELECT -bm25("{table}", 0.0, {weights}) FROM "{table}" '  # noqa: S608
        f'WHERE "{table}" MATCH %s AND rowid = "{model_table}"."{pk}"',
        [fts],
        output_field=FloatField(),
    )
    return queryset.filter(pk__in=matches).annotate(search_rank=rank)


def ranked_page(
    index: SearchIndex, queryset: QuerySet, q: str, *, ctx, offset: int, limit: int
) -> tuple[list[int], int]:
    """(ids of one page ordered by relevance, total matches) for ``queryset`` ∩ matches of ``q``,
    matched and ranked on the index fields ``ctx`` may see (as ``filter``).

    The fast path for "most relevant first" lists: on PostgreSQL the matches and their rank are
    computed once in a narrow CTE (object id, rank), the queryset's own filters apply as
    ``id IN (…)``, and the total comes from the same pass (``count(*) OVER ()``) — instead of
    sorting wide joined rows and counting in a second query. Load the page's rows by id afterwards.
    Ties in rank fall back to the newest id first.
    """
    terms = query_terms(q)
    allowed = _allowed(index, ctx)
    if terms and allowed == []:
        return [], 0
    if not terms or _vendor() != "postgresql":
        qs = filter(index, queryset, q, ctx=ctx).order_by("-search_rank", "-pk")
        return list(qs.values_list("pk", flat=True)[offset : offset + limit]), qs.count()
    tenant = tenancy.current_tenant()
    text = " ".join(terms)
    rank = _pg_rank(index, allowed)
    recheck = f" AND {_pg_recheck(index, allowed)}" if allowed is not None else ""
    inner_sql, inner_params = queryset.order_by().values("pk").query.sql_with_params()
    sql = (
        f"WITH m AS MATERIALIZED (SELECT object_id, {rank} AS rank "  # noqa: S608
        f"FROM \"{index.table}\" WHERE tenant_id = %s AND document @@ plainto_tsquery('simple', %s){recheck}) "
        f"SELECT object_id, count(*) OVER () FROM m WHERE object_id IN ({inner_sql}) "
        "ORDER BY rank DESC, object_id DESC LIMIT %s OFFSET %s"
    )
    params = [*([text] if "%s" in rank else []), tenant.pk, text, *([text] if recheck else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *inner_params, limit, offset])
        rows = cursor.fetchall()
    if rows:
        return [r[0] for r in rows], rows[0][1]
    if offset == 0:
        return [], 0
    return [], filter(index, queryset, q, ctx=ctx).count()  # a page past the end: count separately


def suggest(queryset: QuerySet, q: str | None, *, ctx, field: str = "title", limit: int = 8) -> list[str]:
    """Titles containing what the user has typed so far (for type-ahead), shortest first.

    Nothing when ``field`` is hidden or masked for ``ctx``: the values are returned as they are
    stored, and which rows contain ``q`` would tell about the withheld field."""
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
    if not q or fieldrules.withheld(ctx, queryset.model, field):
        return []
    values = queryset.filter(**{f"{field}__icontains": q}).values_list(field, flat=True).distinct()[: limit * 4]
    return sorted(set(values), key=lambda v: (not v.startswith(q), len(v), v))[:limit]


def snippet(text: str | None, terms: list[str], *, length: int = 120) -> str:
    """An HTML-escaped excerpt of ``text`` around the first hit, hits wrapped in ``<mark>``.

    Build it only from fields the user may see (``withheld``): a snippet of a hidden body would
    show the body, and its hits would tell that the body holds the words."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    lowered = text.lower()
    positions = [lowered.find(t) for t in terms if t and lowered.find(t) >= 0]
    start = max(0, min(positions) - length // 4) if positions else 0
    piece = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    return prefix + highlight(piece, terms) + suffix


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped ``text`` with every occurrence of a term wrapped in ``<mark>``."""
    usable = sorted({t for t in terms if t}, key=len, reverse=True)
    if not usable:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in usable), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append("<mark>" + html.escape(match.group(0)) + "</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
