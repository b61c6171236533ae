"""Documents valid under a JSON Schema, for the schemas `schema_strategies.json_schemas` makes.

Each draw is built toward the schema and then checked with a real validator (`assume`), so
the generator may be rough where the schema is subtle (oneOf exclusivity, patterns with
length bounds) without producing wrong data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ANY_JSON: st.SearchStrategy[object] = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(-10, 10) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


def instances(schema: object, depth: int = 0) -> st.SearchStrategy[object]:
    if schema is True or schema == {}:
        return ANY_JSON
    if not isinstance(schema, dict):
        return st.nothing()
    for keyword in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and branches:
            rest = {k: v for k, v in schema.items() if k != keyword}
            merged = [{**rest, **b} if isinstance(b, dict) else b for b in branches]
            pool = merged[:1] if keyword == "allOf" else merged
            return st.one_of([instances(b, depth + 1) for b in pool])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        return _numbers(schema, integral=kind == "integer")
    if kind == "string":
        return _strings(schema)
    if kind == "array":
        elements = instances(schema.get("items", True), depth + 1)
        if elements.is_empty:
            return st.just([])
        return st.lists(elements, max_size=min(int(schema.get("maxItems", 3)), 3))
    if kind == "object":
        return _objects(schema, depth)
    return ANY_JSON


def _numbers(schema: dict[str, Any], *, integral: bool) -> st.SearchStrategy[object]:
    low, high = schema.get("minimum", -20), schema.get("maximum", 20)
    if low > high:
        return st.nothing()
    step = schema.get("multipleOf", 1)

    def snap(n: int) -> object:
        snapped = n // step * step
        return int(snapped) if integral else snapped

    whole = st.integers(int(low) - 1, int(high) + 1).map(snap)
    return whole if integral else whole | st.floats(low, high, allow_nan=False)


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[object]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 6)
    if low > high:
        return st.nothing()
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        return st.from_regex(pattern).filter(lambda s: low <= len(s) <= high)
    return st.text(alphabet="ab", min_size=low, max_size=max(low, high))


def _objects(schema: dict[str, Any], depth: int) -> st.SearchStrategy[object]:
    props: dict[str, object] = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in props]
    extra_schema = schema.get("additionalProperties", True)
    fixed = {name: instances(props[name], depth + 1) for name in required}
    optional = {
        name: instances(sub, depth + 1) for name, sub in props.items() if name not in required
    }
    base = st.fixed_dictionaries(fixed, optional=optional)
    if extra_schema is False or depth > 2:
        return base
    extra_values = instances(extra_schema, depth + 1)
    if extra_values.is_empty:
        return base
    extras = st.dictionaries(st.sampled_from(["p", "q", "r", "s"]), extra_values, max_size=2)
    return st.tuples(base, extras).map(lambda pair: {**pair[1], **pair[0]})
