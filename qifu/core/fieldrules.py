"""Field rules (字段权限): per role, per model field — hidden, masked or read-only.

One mechanism, applied where objects leave the server, so an endpoint cannot forget:

* ``QifuRouter`` wraps every handler. Whatever it returns — a model instance, a
  queryset, a list, a ``{"items": [...]}`` page dict, a ``(status, body)`` tuple —
  has its model instances replaced by :class:`Ruled` proxies *before* ninja
  serialises it. The proxy answers attribute reads: a hidden field reads as
  empty, a masked field reads masked, related objects come back wrapped too, so
  nested schemas and ``resolve_*`` helpers obey the same rules.
* ``qifu.core.exports.xlsx_response(..., ctx=, model=)`` drops hidden columns and
  masks masked ones with the same rules.
* On write operations (POST/PUT/PATCH) the router refuses a payload that changes
  a read-only field of the operation's model (``model=`` or ``object=``).

Roles store rules as ``{"app.model": {"field": "hidden" | "masked" | "readonly"}}``
(``qifu.access.models.Role.field_rules``). With several roles the most permissive
wins, like data scopes (a union): a field is masked only if every relevant role
masks or hides it. The relevant roles are those granting the operation's
permission (all the user's roles for ``authenticated`` operations). Platform
admins are not subject to tenant field rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Manager, QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql import Query
from django.db.models.sql.datastructures import Join
from django.db.models.sql.where import NothingNode, WhereNode
from django.utils.functional import LazyObject, empty
from ninja import Status
from pydantic import BaseModel

from qifu.core.fields import mask

VISIBLE = "visible"
READONLY = "readonly"  # 只读
MASKED = "masked"  # 脱敏
HIDDEN = "hidden"  # 隐藏

RULES = {READONLY: "只读", MASKED: "脱敏", HIDDEN: "隐藏"}
# Strictness order; the combination of several roles takes the least strict.
_RANK = {VISIBLE: 0, READONLY: 1, MASKED: 2, HIDDEN: 3}

# Never subject to rules: identity and bookkeeping columns the platform needs.
_EXEMPT = {"id", "tenant", "created_at", "updated_at", "created_by", "updated_by", "path", "depth", "password"}
# Models outside TenantOwned that still carry rules, limited to these fields (the user
# list of the access admin shows name and phone; the rest of the account is not data).
_EXTRA_RULEABLE = {"accounts.user": ("name", "phone", "email")}


# -- which model a rule is kept under ---------------------------------------------
def concrete(model: type[models.Model] | str) -> type[models.Model]:
    """The concrete model behind ``model``: a proxy (e.g. one side's view of an application)
    shares the table, the fields and so the rules of the model it proxies."""
    model = apps.get_model(model) if isinstance(model, str) else model
    return model._meta.concrete_model or model


def label_of(model: type[models.Model] | str) -> str:
    """``app.model`` of the concrete model: the one key rules are stored and looked up under."""
    return concrete(model)._meta.label_lower


# -- which fields can carry rules ---------------------------------------------
def ruleable_fields(model: type[models.Model] | str) -> dict[str, str]:
    """``{field_name: 中文名}`` of the fields a role may restrict on ``model``."""
    model = concrete(model)
    only = _EXTRA_RULEABLE.get(model._meta.label_lower)
    fields = {}
    for field in model._meta.concrete_fields:
        if field.name in _EXEMPT or field.primary_key or (only is not None and field.name not in only):
            continue
        fields[field.name] = str(field.verbose_name)
    return fields


def can_withhold(model: type[models.Model] | str, name: str) -> bool:
    """May ``name`` be hidden or masked? Only if an empty value is a valid output for it.

    A withheld value comes out as "" (text) or null; the output schemas type a non-null number,
    flag, date, list or relation as required, so withholding one would fail the response. Such
    fields take only the read-only rule (a meta-test checks the output schemas of the others)."""
    field = concrete(model)._meta.get_field(name)
    return field.null or field.get_internal_type() in ("CharField", "TextField")


def ruleable_models() -> dict[str, dict[str, Any]]:
    """Every tenant-owned model with its restrictable fields (for the role editor).

    Proxies are left out: their rules are those of the model they proxy."""
    from qifu.core.models import TenantOwned

    result = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.abstract or model._meta.proxy:
            continue
        if issubclass(model, TenantOwned) or label in _EXTRA_RULEABLE:
            fields = ruleable_fields(model)
            result[label] = {
                "label": str(model._meta.verbose_name),
                "fields": fields,
                "readonly_only": [name for name in fields if not can_withhold(model, name)],
            }
    return result


def validate_rules(rules: dict) -> dict[str, dict[str, str]]:
    """Clean a role's rule map; raise ValueError naming the first bad entry."""
    if not isinstance(rules, dict):
        raise ValueError("字段规则应为 {模型: {字段: 规则}} 的对象")
    cleaned: dict[str, dict[str, str]] = {}
    for label, fields in rules.items():
        try:
            model = concrete(label)
        except (LookupError, ValueError):
            raise ValueError(f"字段规则中的对象类型「{label}」不存在") from None
        allowed = ruleable_fields(model)
        if not isinstance(fields, dict):
            raise ValueError(f"对象类型「{label}」的字段规则应为 {{字段: 规则}}")
        kept = {}
        for name, rule in fields.items():
            if name not in allowed:
                raise ValueError(f"对象类型「{label}」没有可设置规则的字段「{name}」")
            if rule == VISIBLE:
                continue
            if rule not in RULES:
                raise ValueError(f"字段「{allowed[name]}」的规则「{rule}」无效，应为 hidden / masked / readonly")
            if rule in (HIDDEN, MASKED) and not can_withhold(model, name):
                raise ValueError(f"字段「{allowed[name]}」不能隐藏或脱敏（接口中该字段必须有值），只能设为只读")
            kept[name] = rule
        if kept:
            # A proxy's label is stored as the concrete model's (the stricter rule wins if both are given).
            merged = cleaned.setdefault(model._meta.label_lower, {})
            for name, rule in kept.items():
                if _RANK[rule] > _RANK[merged.get(name, VISIBLE)]:
                    merged[name] = rule
    return cleaned


def role_rules(role) -> dict[str, dict[str, str]]:
    """A role's rules (or a rule map) keyed by concrete model (rules saved under a proxy's label still count)."""
    result: dict[str, dict[str, str]] = {}
    rules = role if isinstance(role, dict) else getattr(role, "field_rules", None)
    for label, fields in (rules or {}).items():
        try:
            key = label_of(label)
        except (LookupError, ValueError):
            continue
        merged = result.setdefault(key, {})
        for name, rule in (fields or {}).items():
            if rule in _RANK and _RANK[rule] > _RANK[merged.get(name, VISIBLE)]:
                merged[name] = rule
    return result


# -- resolving the rules for a request ------------------------------------------
def _relevant_roles(ctx) -> list:
    permission = getattr(ctx, "permission", "public")
    roles = list(getattr(ctx, "roles", []) or [])
    if permission in ("public", "authenticated"):
        return roles
    return [r for r in roles if permission in (r.permissions or [])]


def rules_for(ctx, model: type[models.Model] | str) -> dict[str, str]:
    """The effective ``{field: rule}`` for ``model`` in this request (visible fields omitted)."""
    if ctx is None or not getattr(ctx, "is_authenticated", False) or getattr(ctx, "is_platform_admin", False):
        return {}
    label = label_of(model)
    cache = ctx._cache.setdefault("field_rules", {})
    key = (label, getattr(ctx, "permission", ""))
    if key in cache:
        return cache[key]
    roles = _relevant_roles(ctx)
    effective: dict[str, str] = {}
    if roles:
        names: set[str] = set()
        per_role = [(role_rules(r).get(label) or {}) for r in roles]
        for rules in per_role:
            names.update(rules)
        for name in names:
            # Least strict across roles: one role showing the field shows it.
            rule = min((rules.get(name, VISIBLE) for rules in per_role), key=_RANK.__getitem__)
            if rule != VISIBLE:
                effective[name] = rule
    cache[key] = effective
    return effective


def path_hops(model: type[models.Model], path: str) -> list[tuple[type[models.Model], str]]:
    """(model, field name) for each step of an ORM path (``institution__name``), through forward
    relations only; ``FieldDoesNotExist`` or ``ValueError`` when it is not such a path."""
    hops = []
    parts = path.split("__")
    for i, part in enumerate(parts):
        field = model._meta.get_field(part)
        hops.append((model, field.name))
        if i < len(parts) - 1:
            if not (field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete):
                raise ValueError(f"{path!r}: {part!r} is not a forward relation")
            model = field.related_model
    return hops


def withheld(ctx, model: type[models.Model] | str, path: str) -> bool:
    """Whether the value at ``path`` of ``model`` is hidden or masked for the request: the field
    itself or a relation on the way (``institution__name`` with ``institution`` hidden).

    For values a handler derives from a field (a snippet of the body, a flag computed from a
    window, the full-text match on an index field): they are withheld with their source."""
    if ctx is None:
        return False
    model = apps.get_model(model) if isinstance(model, str) else model
    return any(rules_for(ctx, hop_model).get(name) in (HIDDEN, MASKED) for hop_model, name in path_hops(model, path))


def mask_value(value: Any) -> Any:
    if value in (None, ""):
        return value
    if isinstance(value, str):
        return mask(value)
    return None  # a number or date cannot be partly shown: withhold it


def _field_of(model: type[models.Model], name: str) -> str | None:
    """Map an attribute name (``town`` or ``town_id``) to its field name."""
    try:
        field = model._meta.get_field(name)
    except Exception:
        for f in model._meta.concrete_fields:
            if f.attname == name:
                return f.name
        return None
    return field.name if getattr(field, "concrete", False) else None


def _empty_for(model: type[models.Model], name: str) -> Any:
    field = model._meta.get_field(name)
    if isinstance(field, (models.CharField, models.TextField)) and not field.null:
        return ""  # keeps non-nullable string output schemas valid
    return None


# -- the proxy ------------------------------------------------------------------
class Ruled:
    """A read-only view of a model instance with the request's field rules applied."""

    __slots__ = ("_ctx", "_obj", "_rules")

    def __init__(self, obj: models.Model, ctx):
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_rules", rules_for(ctx, type(obj)))

    def __getattr__(self, name: str) -> Any:
        obj = self._obj
        value = getattr(obj, name)
        if self._rules and name.startswith("get_") and name.endswith("_display"):
            # A choice's label tells its value: withheld with it (hand-built outputs call these).
            if _RANK.get(self._rules.get(name[4:-8], VISIBLE), 0) >= _RANK[MASKED]:
                return lambda: ""
            return value
        if self._rules:
            field = _field_of(type(obj), name)
            rule = self._rules.get(field) if field else None
            if rule == HIDDEN:
                return _empty_for(type(obj), field)
            if rule == MASKED:
                if field != name:  # the raw id of a masked relation
                    return None
                return mask_value(value if not isinstance(value, models.Model) else str(value))
        return wrap(value, self._ctx)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("field-ruled objects are read-only")

    def __repr__(self) -> str:
        return f"<Ruled {self._obj!r}>"

    def __str__(self) -> str:
        return str(self._obj)

    def __eq__(self, other: object) -> bool:
        return self._obj == (other._obj if isinstance(other, Ruled) else other)

    def __hash__(self) -> int:
        return hash(self._obj)


class RuledList(list):
    """A queryset's (or related manager's) rows, each ruled; queryset methods still work.

    ``obj.items.all()`` in a resolver keeps working and returns ruled rows; other
    methods (``filter``, ``count``, ``values_list``…) run on the queryset and their
    results are ruled in turn.
    """

    def __init__(self, queryset: QuerySet, ctx):
        super().__init__(wrap(v, ctx) for v in queryset)
        self._qs = queryset
        self._ctx = ctx

    def all(self) -> RuledList:
        return self

    def count(self, *args) -> int:  # type: ignore[override]
        return len(self) if not args else super().count(*args)

    def exists(self) -> bool:
        return bool(self)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._qs, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            return wrap(attr(*args, **kwargs), self._ctx)

        return call


def wrap(value: Any, ctx) -> Any:
    """Apply field rules to everything a handler returns (recursively)."""
    if ctx is None or isinstance(value, (str, bytes, int, float, bool, type(None))):
        return value
    if isinstance(value, Ruled):
        return value
    if isinstance(value, LazyObject) and isinstance(value, models.Model):
        value = _unlazy(value)  # request.user, set on a row by a service: rule the user it stands for
    if isinstance(value, models.Model):
        return Ruled(value, ctx) if rules_for(ctx, type(value)) or _has_relations(value) else value
    if isinstance(value, (QuerySet, Manager)):
        return RuledList(value.all() if isinstance(value, Manager) else value, ctx)
    if isinstance(value, Status):
        return Status(value.status_code, wrap(value.value, ctx))
    if isinstance(value, BaseModel):
        return value  # already serialised by the handler: nothing of a model left to rule
    if isinstance(value, dict):
        return {k: wrap(v, ctx) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(wrap(v, ctx) for v in value)
    if isinstance(value, list):
        return [wrap(v, ctx) for v in value]
    return value


def rule_snapshot(ctx, model: type[models.Model] | str, data: Any) -> Any:
    """A dict keyed by ``model``'s field (or attribute) names — a stored copy of a row, such as a
    product revision's data — with the request's rules on ``model`` applied as on the row itself:
    hidden values emptied, masked ones masked. Other keys pass as they are."""
    rules = rules_for(ctx, model)
    if not rules or not isinstance(data, dict):
        return data
    model = concrete(model)
    ruled = {}
    for key, value in data.items():
        field = _field_of(model, key)
        rule = rules.get(field) if field else None
        if rule == HIDDEN:
            value = _empty_for(model, field)
        elif rule == MASKED:
            value = mask_value(value) if field == key else None
        ruled[key] = value
    return ruled


def _unlazy(value: LazyObject) -> Any:
    if value._wrapped is empty:
        value._setup()
    return value._wrapped


def _has_relations(obj: models.Model) -> bool:
    # Related objects may carry rules of their own even when this model has none.
    return any(f.is_relation for f in obj._meta.concrete_fields)


def read(obj: Any, key: str, ctx=None) -> Any:
    """A (dotted) attribute of ``obj`` or key of a dict, through field rules."""
    value: Any = obj
    for part in key.split("."):
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(part)
            continue
        if isinstance(value, models.Model) and ctx is not None:
            value = Ruled(value, ctx)
        value = getattr(value, part, None)
        if callable(value) and not isinstance(value, (Manager, QuerySet)):
            value = value()
    if isinstance(value, Ruled):
        value = value._obj
    return value


# -- filters and search ---------------------------------------------------------------
def _cols(expression: Any) -> Iterable[Col]:
    if isinstance(expression, Col):
        yield expression
        return
    getter = getattr(expression, "get_source_expressions", None)
    if getter is None or isinstance(expression, (QuerySet, Query)):
        return  # plain values, and subqueries (the server's own, never the user's filter)
    for source in getter():
        if source is not None:
            yield from _cols(source)


def _restricted_col(ctx, query: Query, col: Col) -> bool:
    """Whether a condition on ``col`` would tell something about a field hidden or masked for the user:
    the column itself, or any relation it was reached through (``town__name`` with ``town`` hidden)."""

    def shielded(field) -> bool:
        model = getattr(field, "model", None)
        if model is None or not getattr(field, "concrete", False):
            return False
        return _RANK.get(rules_for(ctx, model).get(field.name, VISIBLE), 0) >= _RANK[MASKED]

    if shielded(col.target):
        return True
    alias = col.alias
    seen = set()
    while alias in query.alias_map and alias not in seen:
        seen.add(alias)
        join = query.alias_map[alias]
        if not isinstance(join, Join):
            break
        if shielded(join.join_field):  # a forward relation of the parent row
            return True
        alias = join.parent_alias
    return False


def _scrub(ctx, query: Query, node: WhereNode) -> None:
    for index, child in enumerate(node.children):
        if isinstance(child, WhereNode):
            _scrub(ctx, query, child)
        elif isinstance(child, Lookup):
            cols = [*_cols(child.lhs), *_cols(child.rhs)]
            if any(_restricted_col(ctx, query, col) for col in cols):
                node.children[index] = NothingNode()


def restrict_filters(ctx, queryset: QuerySet) -> QuerySet:
    """The queryset with every condition on a field hidden or masked for the user made to match nothing.

    Filters and search terms are applied by the selector before ``ctx.scoped`` adds the data
    scope, which calls this first: a search such as ``name 包含 q 或 credit_code 以 q 开头`` keeps
    matching on the name, while the credit-code half never matches (a hidden value cannot be
    probed prefix by prefix). Under ``NOT`` the neutralised condition matches everything, which
    reveals nothing either. Conditions added after ``ctx.scoped`` (the data scope itself) are not
    touched.
    """
    if ctx is None or not getattr(ctx, "is_authenticated", False) or getattr(ctx, "is_platform_admin", False):
        return queryset
    if not any(role_rules(r) for r in _relevant_roles(ctx)):
        return queryset
    queryset = queryset.all()  # a clone: the caller's queryset keeps its conditions
    _scrub(ctx, queryset.query, queryset.query.where)
    return queryset


def _ordering_restricted(ctx, query: Query, term: Any) -> bool:
    """Whether ordering by ``term`` (``"-price"``, ``"town__name"``, an annotation, an expression)
    would rank rows by a field hidden or masked for the user."""
    if isinstance(term, str):
        name = term.lstrip("-+")
        if not name or name == "?" or "." in name:  # random, or a raw ``table.column`` of extra()
            return False
        term = models.F(name)
    probe = query.clone()  # resolving sets up joins; the probe takes them, the query keeps its own
    try:
        resolved = term.resolve_expression(probe, allow_joins=True, reuse=None)
    except Exception:
        return False  # not resolvable here: the database refuses it anyway when the query runs
    return any(_restricted_col(ctx, probe, col) for col in _cols(resolved))


def restrict_ordering(ctx, queryset: QuerySet) -> QuerySet:
    """The queryset in its model's default order when its ordering ranks by a field hidden or
    masked for the user (``sort=price`` with the price hidden): the order would leak the values.

    The default order (``Meta.ordering``, itself without such fields; else newest first) replaces
    the whole ordering, so no tie-breaker reveals anything either. Like ``restrict_filters``,
    applied by ``ctx.scoped``: an ordering added after it is not touched."""
    if ctx is None or not getattr(ctx, "is_authenticated", False) or getattr(ctx, "is_platform_admin", False):
        return queryset
    if not any(role_rules(r) for r in _relevant_roles(ctx)):
        return queryset
    query = queryset.query
    default = list(queryset.model._meta.ordering or [])
    terms = list(query.order_by) if query.order_by else (default if query.default_ordering else [])
    if not any(_ordering_restricted(ctx, query, term) for term in terms):
        return queryset
    fallback = [term for term in default if not _ordering_restricted(ctx, query, term)] or ["-pk"]
    return queryset.order_by(*fallback)


# -- writes -----------------------------------------------------------------------
def readonly_fields(ctx, model: type[models.Model] | str) -> set[str]:
    """Fields the request may not change on ``model`` (read-only, masked and hidden alike)."""
    return {name for name, rule in rules_for(ctx, model).items() if _RANK[rule] >= _RANK[READONLY]}


def refused_fields(ctx, model: type[models.Model] | str, payload: BaseModel | dict, current=None) -> list[str]:
    """Names of payload fields that would change a field this request may not write."""
    blocked = readonly_fields(ctx, model)
    if not blocked:
        return []
    if isinstance(payload, BaseModel):
        sent = {name: getattr(payload, name) for name in payload.model_fields_set}
    else:
        sent = dict(payload)
    refused = []
    for name, value in sent.items():
        field = name[:-3] if name.endswith("_id") and name[:-3] in blocked else name
        if field not in blocked:
            continue
        if current is not None:
            existing = getattr(current, name, None)
            if existing == value or (existing in (None, "") and value in (None, "")):
                continue  # unchanged: a full form may resend what it shows
        refused.append(field)
    return refused


def _shown(ctx, current: models.Model, name: str) -> Any:
    """What the user was shown for attribute ``name`` of ``current`` (masked, emptied or as is)."""
    try:
        shown = getattr(Ruled(current, ctx), name)
    except AttributeError:
        return _NOTHING
    return shown._obj if isinstance(shown, Ruled) else shown


_NOTHING = object()


def settle_unchanged(ctx, model: type[models.Model] | str, payload: BaseModel, current: models.Model) -> None:
    """A full form resends what it showed: a masked ``138****5678`` or an emptied hidden field.

    Such a value is no change, so it is replaced in the payload by the stored value — the
    read-only check then lets it pass and the service writes back what was there, never
    the mask."""
    blocked = readonly_fields(ctx, model)
    if not blocked or not isinstance(payload, BaseModel):
        return
    for name in payload.model_fields_set:
        field = name[:-3] if name.endswith("_id") and name[:-3] in blocked else name
        rule = rules_for(ctx, model).get(field)
        if rule not in (MASKED, HIDDEN) or not hasattr(current, name):
            continue
        value = getattr(payload, name)
        shown = _shown(ctx, current, name)
        if shown is not _NOTHING and value == shown:
            try:
                setattr(payload, name, getattr(current, name))
            except (TypeError, ValueError):
                continue  # a frozen payload keeps the value; the read-only check decides


def field_labels(model: type[models.Model] | str, names: Iterable[str]) -> list[str]:
    model = apps.get_model(model) if isinstance(model, str) else model
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except Exception:
            labels.append(name)
    return labels
