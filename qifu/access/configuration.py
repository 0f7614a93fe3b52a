"""Writes for dictionaries (字典) and system parameters (参数配置), which other capabilities read
through ``qifu.access.selectors`` (cached; every write forgets the cached value, again on commit).

Built-in dictionaries and parameters are referenced by code: their codes, keys and kinds cannot
change and they cannot be deleted. Every write is audited with its before and after.
"""

from __future__ import annotations

import json

from django.db import transaction

from qifu.access.models import Dictionary, DictionaryItem, Parameter
from qifu.core import audit
from qifu.core.errors import Conflict, RuleViolation


def _dictionary_snapshot(d: Dictionary) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "items": [f"{i.value}={i.label}{'' if i.is_active else '(停用)'}" for i in d.items.order_by("sort", "id")],
    }


@transaction.atomic
def save_dictionary(
    dictionary: Dictionary | None, *, code: str, name: str, description: str = "", items: list[dict]
) -> Dictionary:
    values = [i["value"] for i in items]
    if len(values) != len(set(values)):
        raise RuleViolation("access.duplicate_item", "字典项的值不能重复")
    if Dictionary.objects.filter(code=code).exclude(pk=getattr(dictionary, "pk", None)).exists():
        raise Conflict("access.dictionary_code_taken", f"字典编码「{code}」已被使用")
    before = _dictionary_snapshot(dictionary) if dictionary else {}
    if dictionary is None:
        dictionary = Dictionary.objects.create(code=code, name=name, description=description)
    else:
        if dictionary.is_builtin and code != dictionary.code:
            raise RuleViolation("access.builtin_dictionary", "内置字典的编码被其他功能引用，不能修改")
        dictionary.code, dictionary.name, dictionary.description = code, name, description
        dictionary.save()
    existing = {i.value: i for i in dictionary.items.all()}
    for index, data in enumerate(items):
        item = existing.pop(data["value"], None) or DictionaryItem(dictionary=dictionary, value=data["value"])
        item.label = data["label"]
        item.sort = data.get("sort", index)
        item.is_active = data.get("is_active", True)
        item.save()
    DictionaryItem.objects.filter(pk__in=[i.pk for i in existing.values()]).delete()
    audit.record("access.dictionary.save", dictionary, changes=audit.diff(before, _dictionary_snapshot(dictionary)))
    _forget(f"dict:{dictionary.code}")
    return dictionary


@transaction.atomic
def delete_dictionary(dictionary: Dictionary) -> None:
    if dictionary.is_builtin:
        raise RuleViolation("access.builtin_dictionary", "内置字典被其他功能引用，不能删除")
    audit.record("access.dictionary.delete", dictionary, changes=audit.diff(_dictionary_snapshot(dictionary), {}))
    _forget(f"dict:{dictionary.code}")
    dictionary.delete()


def parse_parameter(kind: str, value: str):
    """The typed value of a parameter; raises RuleViolation for a value of the wrong type."""
    try:
        if kind == Parameter.Kind.INTEGER:
            return int(value)
        if kind == Parameter.Kind.BOOLEAN:
            if value.lower() not in ("true", "false", "1", "0", "是", "否"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "是")
        if kind == Parameter.Kind.JSON:
            return json.loads(value)
    except (ValueError, TypeError):
        label = Parameter.Kind(kind).label
        raise RuleViolation("access.bad_parameter", f"参数值「{value[:50]}」不是有效的{label}")
    return value


@transaction.atomic
def save_parameter(
    parameter: Parameter | None, *, key: str, name: str, kind: str, value: str, description: str = ""
) -> Parameter:
    parse_parameter(kind, value)
    if Parameter.objects.filter(key=key).exclude(pk=getattr(parameter, "pk", None)).exists():
        raise Conflict("access.parameter_key_taken", f"参数键「{key}」已存在")
    before = audit.snapshot(parameter) if parameter else {}
    if parameter is None:
        parameter = Parameter.objects.create(key=key, name=name, kind=kind, value=value, description=description)
    else:
        if parameter.is_builtin and (key != parameter.key or kind != parameter.kind):
            raise RuleViolation("access.builtin_parameter", "内置参数的键和类型被其他功能引用，不能修改")
        old_key = parameter.key
        parameter.key, parameter.name, parameter.kind = key, name, kind
        parameter.value, parameter.description = value, description
        parameter.save()
        _forget(f"param:{old_key}")
    audit.record("access.parameter.save", parameter, changes=audit.diff(before, audit.snapshot(parameter)))
    _forget(f"param:{key}")
    return parameter


@transaction.atomic
def delete_parameter(parameter: Parameter) -> None:
    if parameter.is_builtin:
        raise RuleViolation("access.builtin_parameter", "内置参数被其他功能引用，不能删除")
    audit.record("access.parameter.delete", parameter, changes=audit.diff(audit.snapshot(parameter), {}))
    _forget(f"param:{parameter.key}")
    parameter.delete()


def _forget(key: str) -> None:
    from qifu.access import selectors

    selectors.forget(key)
    transaction.on_commit(lambda: selectors.forget(key))
