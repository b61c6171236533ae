import pytest
from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import SchemaReference, SchemaType, parse_schema
from kanal_registry.schemas.protobuf_schema import ProtobufSchema

from .helpers import proto

ORDERS = """
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";

message Order {                       // [0]
  string id = 1;
  repeated Line lines = 2;
  google.protobuf.Timestamp placed = 3;
  Status status = 4;
  map<string, Line> by_sku = 5;         // its BySkuEntry type: [0, 0]
  message Line {                      // [0, 1]
    string sku = 1;
    int32 quantity = 2;
    message Discount { double rate = 1; }   // [0, 1, 0]
  }
  enum Status { NEW = 0; PAID = 1; }
}
message Refund {                      // [1]
  .shop.v1.Order.Line line = 1;
  oneof reason { string note = 2; int32 code = 3; }
}
"""


P3 = 'syntax = "proto3"; '


def parsed(text: str) -> ProtobufSchema:
    schema = proto(text)
    assert isinstance(schema, ProtobufSchema)
    return schema


def test_message_names_and_confluent_message_indexes() -> None:
    # As in protoc's descriptor, the map field `by_sku` (declared before `Line`) brings a
    # nested `BySkuEntry` type that takes index 0 among Order's nested types.
    schema = parsed(ORDERS)
    assert schema.message_names() == [
        "shop.v1.Order",
        "shop.v1.Order.BySkuEntry",
        "shop.v1.Order.Line",
        "shop.v1.Order.Line.Discount",
        "shop.v1.Refund",
    ]
    assert schema.message_indexes("shop.v1.Order") == (0,)
    assert schema.message_indexes("shop.v1.Order.Line.Discount") == (0, 1, 0)
    assert schema.message_indexes("shop.v1.Refund") == (1,)
    assert schema.message_for_indexes((0, 1)) == "shop.v1.Order.Line"
    with pytest.raises(InvalidSchema):
        schema.message_for_indexes((5,))


def test_field_types_resolve_through_nested_scopes() -> None:
    model = parsed(ORDERS).model
    order = model.messages["shop.v1.Order"]
    assert order.fields[2].type_name == "shop.v1.Order.Line"
    assert order.fields[2].label == "repeated"
    assert order.fields[4].kind == "enum"
    assert order.fields[5].type_name == "map<string,shop.v1.Order.Line>"
    assert model.messages["shop.v1.Refund"].oneofs == {"reason": {2, 3}}


def test_canonical_form_drops_comments_and_layout() -> None:
    spaced = parsed(
        'syntax = "proto3";\n\n// hello\nmessage A {\n\n  int32   x = 1;  // trailing\n}\n'
    )
    tight = parsed('syntax="proto3"; message A { int32 x = 1; }')
    assert spaced.canonical_form() == tight.canonical_form()
    assert parsed(spaced.normalize().text).canonical_form() == tight.canonical_form()


def test_imports_are_satisfied_by_references() -> None:
    common = 'syntax = "proto3"; package common; message Money { int64 units = 1; }'
    text = (
        'syntax = "proto3"; import "common/money.proto"; message Price { common.Money amount = 1; }'
    )
    schema = parse_schema(
        SchemaType.PROTOBUF,
        text,
        references=[SchemaReference("common/money.proto", "money", 1)],
        resolve=lambda subject, version: common,
    )
    assert isinstance(schema, ProtobufSchema)
    assert schema.model.messages["Price"].fields[1].type_name == "common.Money"
    with pytest.raises(InvalidSchema, match=r"import 'common/money\.proto' has no reference"):
        proto(text)


@pytest.mark.parametrize(
    ("text", "points_at"),
    [
        ("message A { int32 x = 1 }", "line 1:24"),
        ('syntax = "proto3";\nmessage A {\n  int32 x = ;\n}', "line 3:12"),
        (P3 + "message A { int32 x = 1; string y = 1; }", "A.y: field number 1 is already used"),
        (P3 + "message A { int32 x = 1; string x = 2; }", "A.x: the field name is already used"),
        (P3 + "message A { int32 x = 0; }", "out of the allowed range"),
        (P3 + "message A { int32 x = 19000; }", "out of the allowed range"),
        (P3 + "message A { reserved 2 to 4; int32 x = 3; }", "field number 3 is reserved"),
        (P3 + 'message A { reserved "x"; int32 x = 3; }', "the field name is reserved"),
        (P3 + "message A { Missing m = 1; }", "type 'Missing' is not defined"),
        (
            'syntax = "proto3"; message A { required int32 x = 1; }',
            "required fields are not allowed",
        ),
        ('syntax = "proto3"; enum E { A = 1; }', "first value of enum E must be 0"),
        (P3 + "message A {} message A {}", "A is declared twice"),
        (P3 + "message A { map<double, int32> m = 1; }", "line 1:35: mismatched input 'double'"),
        ('syntax = "proto4";', "unknown syntax"),
        ("message A { int32 x = 1; }", "proto2 fields need a label"),
        ('edition = "2023"; message A { optional int32 x = 1; }', "not allowed in editions"),
    ],
)
def test_invalid_protobuf_is_42201_and_says_where(text: str, points_at: str) -> None:
    with pytest.raises(InvalidSchema) as caught:
        proto(text)
    assert caught.value.error_code == 42201
    assert points_at in caught.value.message
