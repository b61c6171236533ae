"""The `/config` object's parser: any JSON is either refused with Confluent's codes or read into
a config that survives its own JSON form; merging fills only unset fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal_registry.compatibility import CompatibilityLevel
from kanal_registry.errors import InvalidCompatibilityLevel, UnprocessableEntity
from kanal_registry.state.configs import SubjectConfig

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12,
)
FIELDS = ["compatibility", "compatibilityLevel", "normalize", "alias", "compatibilityGroup",
          "defaultMetadata", "overrideMetadata", "defaultRuleSet", "overrideRuleSet"]
RULE = st.fixed_dictionaries({"name": st.text(min_size=1, max_size=8)}, optional={
    "kind": st.sampled_from(["TRANSFORM", "CONDITION"]),
    "mode": st.sampled_from(["UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD"]),
    "type": st.text(max_size=8), "expr": st.text(max_size=8),
    "tags": st.lists(st.text(max_size=4), max_size=2),
    "params": st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    "disabled": st.booleans(),
})
VALID = st.fixed_dictionaries({}, optional={
    "compatibility": st.sampled_from([level.value.lower() for level in CompatibilityLevel]),
    "normalize": st.booleans(),
    "alias": st.text(max_size=8),
    "compatibilityGroup": st.text(max_size=8),
    "defaultMetadata": st.fixed_dictionaries({}, optional={
        "tags": st.dictionaries(st.text(max_size=4), st.lists(st.text(max_size=4), max_size=2),
                                max_size=2),
        "properties": st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
        "sensitive": st.lists(st.text(max_size=4), max_size=2),
    }),
    "overrideRuleSet": st.fixed_dictionaries({}, optional={
        "domainRules": st.lists(RULE, max_size=2),
        "migrationRules": st.lists(RULE, max_size=2),
    }),
})


@given(body=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4) | JSON)
def test_any_json_is_read_or_refused_with_a_confluent_code(body: object) -> None:
    try:
        config = SubjectConfig.from_json(body)
    except (UnprocessableEntity, InvalidCompatibilityLevel):
        return
    assert SubjectConfig.from_json(config.to_json()) == config


@given(body=VALID)
def test_valid_configs_survive_both_json_forms(body: dict[str, object]) -> None:
    config = SubjectConfig.from_json(body)
    for level_field in ("compatibility", "compatibilityLevel"):
        assert SubjectConfig.from_json(config.to_json(level_field=level_field)) == config
    assert config.is_empty == (body == {})


def test_a_subjects_fields_win_and_unset_ones_come_from_the_base() -> None:
    own = SubjectConfig(normalize=False, alias="a")
    base = SubjectConfig(compatibility_level=CompatibilityLevel.FULL, normalize=True)
    assert own.over(base) == SubjectConfig(CompatibilityLevel.FULL, normalize=False, alias="a")


@pytest.mark.parametrize("level", ["SIDEWAYS", 3, ["FULL"]])
def test_a_bad_level_is_42203(level: object) -> None:
    with pytest.raises(InvalidCompatibilityLevel):
        SubjectConfig.from_json({"compatibility": level})
