"""Chroma's ``where`` filter format: building it, and applying it to a passage's flat
metadata the way Chroma does (for keyword hits, which come from outside Chroma), so that both
searches see the same passages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Where = dict[str, Any]


def all_of(*conditions: Where | None) -> Where | None:
    """The conditions that are given, all to hold (None when none is given)."""
    parts = [c for c in conditions if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def any_of(conditions: Sequence[Where]) -> Where:
    return conditions[0] if len(conditions) == 1 else {"$or": list(conditions)}


def without_docs(where: Where | None, doc_ids: set[str]) -> Where | None:
    """``where`` narrowed to leave out the documents ``doc_ids``."""
    if not doc_ids:
        return where
    return all_of(where, {"doc_id": {"$nin": sorted(doc_ids)}})


def where_matches(meta: Mapping[str, Any], where: Mapping[str, Any] | None) -> bool:
    """Chroma's ``where`` semantics over one flat metadata mapping."""
    if not where:
        return True
    for key, want in where.items():
        if key == "$and":
            if not all(where_matches(meta, w) for w in want):
                return False
        elif key == "$or":
            if not any(where_matches(meta, w) for w in want):
                return False
        elif isinstance(want, Mapping):
            if not all(_test(meta.get(key), op, arg) for op, arg in want.items()):
                return False
        elif meta.get(key) != want:
            return False
    return True


def _test(value: Any, op: str, arg: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if op == "$eq":
        return bool(value == arg)
    if op == "$ne":
        return bool(value != arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if not number:
            return False
        return bool({"$gt": value > arg, "$gte": value >= arg, "$lt": value < arg,
                     "$lte": value <= arg}[op])
    if op == "$in":
        return bool(value in arg)
    if op == "$nin":
        return bool(value not in arg)
    if op == "$contains":
        return bool(arg in value) if isinstance(value, list) else bool(value == arg)
    if op == "$not_contains":
        return not _test(value, "$contains", arg)
    raise ValueError(f"unsupported where operator {op}")
