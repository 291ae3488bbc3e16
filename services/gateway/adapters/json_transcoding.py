"""HTTP/JSON <-> protobuf for one HTTP route of an RPC, by the proto3 JSON mapping (google.protobuf
.json_format), with every mistake named by its field.

A request is built from the route's path variables, its JSON body (the whole request for body "*", one
field for body "<field>") and, when the body is not the whole request, its query parameters: a field by
its name or JSON name, dotted into nested messages (`scope.unit_id=u1`), repeated by repeating it
(`ids=a&ids=b`), a FieldMask as one comma list (`update_mask=name,unit_ids`). The JSON body is checked
against the request's descriptor before conversion, so an unknown field, a wrong type or a bad value is
INVALID_ARGUMENT naming the field (`template.items[2].weight`), never a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import duration_pb2, field_mask_pb2, json_format, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument, refuse
from services.gateway.adapters.rpc_catalog import CatalogError, HttpBinding, Rpc

BODY = "body"
MAX_VIOLATIONS = 20
_INTEGER = re.compile(r"-?[0-9]+")
_FLOAT_WORDS = ("NaN", "Infinity", "-Infinity")

_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)
# Well-known types whose JSON form is a string, checked by parsing it.
_TEXT_TYPES = {
    "google.protobuf.Timestamp": timestamp_pb2.Timestamp,
    "google.protobuf.Duration": duration_pb2.Duration,
    "google.protobuf.FieldMask": field_mask_pb2.FieldMask,
}
_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
# Well-known types json_format takes whole (any JSON value, an object with "@type", {}).
_FREE_FORM = frozenset(
    {
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
        "google.protobuf.Any",
        "google.protobuf.Empty",
    }
)


class _Problem(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class Transcoder:
    rpc: Rpc
    binding: HttpBinding

    @classmethod
    def of(cls, rpc: Rpc, binding: HttpBinding) -> Transcoder:
        """Raises CatalogError when a path variable names no text, number or enum field of the request."""
        for variable in binding.template.variables:
            field = _field_at(rpc.request_type, variable.split("."), json_names=False)
            if field is None or field.is_repeated or field.message_type:
                raise CatalogError(f"{rpc.full_name}: the path variable {variable} is not a plain field")
        return cls(rpc, binding)

    def request(
        self, path_values: Mapping[str, str], query: Sequence[tuple[str, str]], body: bytes
    ) -> Message:
        """The RPC's request; InvalidArgument names every field in error."""
        problems: list[FieldViolation] = []
        try:
            fields = self._body_fields(body, problems)
        except RecursionError:
            raise _too_deep() from None
        if self.binding.body == "*":
            problems.extend(
                FieldViolation(
                    name, "is not accepted as a query parameter: this call takes its fields in the JSON body"
                )
                for name, _ in query
            )
        else:
            for name, text in query:
                _set_text(self.rpc.request_type, fields, name, text, problems, json_names=True)
        for variable, text in path_values.items():
            _set_text(self.rpc.request_type, fields, variable, text, problems, json_names=False)
        refuse(problems[:MAX_VIOLATIONS])
        request = self.rpc.new_request()
        try:
            json_format.ParseDict(fields, request)
        except RecursionError:
            raise _too_deep() from None
        except (json_format.ParseError, ValueError, TypeError) as error:
            raise InvalidArgument(str(error), [FieldViolation(BODY, str(error))]) from None
        return request

    def _body_fields(self, body: bytes, problems: list[FieldViolation]) -> dict[str, Any]:
        if not self.binding.body:
            if body.strip():
                problems.append(
                    FieldViolation(BODY, f"must be empty: {self.binding.verb} takes its fields in the query")
                )
            return {}
        document = parse_json(body) if body.strip() else {}
        if self.binding.body == "*":
            return _checked_message(self.rpc.request_type, document, "", problems)
        field = self.rpc.request_type.fields_by_name[self.binding.body]
        return {field.name: _checked_field(field, document, field.name, problems)}


def parse_json(body: bytes) -> Any:
    """The JSON document of a body; InvalidArgument when it is not JSON (NaN and Infinity are not)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as error:
        description = f"is not valid JSON: {error}"
        raise InvalidArgument(
            f"the request body {description}", [FieldViolation(BODY, description)]
        ) from None


def _too_deep() -> InvalidArgument:
    return InvalidArgument(
        "the request body is nested too deeply", [FieldViolation(BODY, "is nested too deeply")]
    )


def response_json(message: Message) -> dict[str, Any]:
    """The proto3 JSON form of a response, fields with default values included so clients see every field."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def _refuse_constant(word: str) -> Any:
    raise ValueError(f"{word} is not JSON")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _field_named(descriptor: Descriptor, name: str, *, json_names: bool) -> FieldDescriptor | None:
    field = descriptor.fields_by_name.get(name)
    if field is None and json_names:
        field = next((each for each in descriptor.fields if each.json_name == name), None)
    return field


def _field_at(descriptor: Descriptor, names: Sequence[str], *, json_names: bool) -> FieldDescriptor | None:
    field = None
    for index, name in enumerate(names):
        field = _field_named(descriptor, name, json_names=json_names)
        if field is None:
            return None
        if index < len(names) - 1:
            if field.message_type is None or field.is_repeated:
                return None
            descriptor = field.message_type
    return field


def _checked_message(descriptor: Descriptor, value: Any, path: str, problems: list[FieldViolation]) -> Any:
    """`value` with its keys the fields' proto names, each checked; problems are appended."""
    if not isinstance(value, dict):
        problems.append(FieldViolation(path or BODY, "must be a JSON object"))
        return {}
    checked: dict[str, Any] = {}
    for key, item in value.items():
        field = _field_named(descriptor, key, json_names=True)
        if field is None:
            problems.append(FieldViolation(_join(path, key), f"is not a field of {descriptor.full_name}"))
        elif field.name in checked:
            problems.append(FieldViolation(_join(path, field.name), "is given twice"))
        else:
            checked[field.name] = _checked_field(field, item, _join(path, field.name), problems)
    return checked


def _checked_field(field: FieldDescriptor, value: Any, path: str, problems: list[FieldViolation]) -> Any:
    if value is None:
        return None
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        if not isinstance(value, dict):
            problems.append(FieldViolation(path, "must be a JSON object"))
            return {}
        value_field = field.message_type.fields_by_name["value"]
        return {
            key: _checked_single(value_field, item, f"{path}[{key}]", problems) for key, item in value.items()
        }
    if field.is_repeated:
        if not isinstance(value, list):
            problems.append(FieldViolation(path, "must be a JSON array"))
            return []
        return [
            _checked_single(field, item, f"{path}[{index}]", problems) for index, item in enumerate(value)
        ]
    return _checked_single(field, value, path, problems)


def _checked_single(field: FieldDescriptor, value: Any, path: str, problems: list[FieldViolation]) -> Any:
    message = field.message_type
    if message is not None and message.full_name not in _TEXT_TYPES:
        if message.full_name in _FREE_FORM:
            return value
        if message.full_name in _WRAPPERS:
            return _checked_single(message.fields_by_name["value"], value, path, problems)
        return _checked_message(message, value, path, problems)
    try:
        return _json_value(field, value)
    except _Problem as problem:
        problems.append(FieldViolation(path, problem.description))
        return None


def _json_value(field: FieldDescriptor, value: Any) -> Any:
    """A checked JSON value of a scalar, enum or text well-known type field; _Problem says what is wrong."""
    if field.message_type is not None:
        if not isinstance(value, str):
            raise _Problem(f"must be a string ({field.message_type.name})")
        return _checked_text_type(field.message_type.full_name, value)
    if field.enum_type is not None:
        if isinstance(value, str) and value in field.enum_type.values_by_name:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Problem(f"must be one of {', '.join(field.enum_type.values_by_name)}")
    kind = field.type
    if kind == FieldDescriptor.TYPE_BOOL:
        if not isinstance(value, bool):
            raise _Problem("must be true or false")
        return value
    if kind == FieldDescriptor.TYPE_STRING:
        if not isinstance(value, str):
            raise _Problem("must be a string")
        if "\x00" in value:
            raise _Problem("contains a NUL character")
        return value
    if kind == FieldDescriptor.TYPE_BYTES:
        if not isinstance(value, str):
            raise _Problem("must be a base64 string")
        try:
            base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raise _Problem("must be a base64 string") from None
        return value
    if kind in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Problem("must be a number")
        if isinstance(value, str) and value not in _FLOAT_WORDS:
            try:
                float(value)
            except ValueError:
                raise _Problem("must be a number") from None
        return value
    return _checked_integer(kind, value)


def _checked_integer(kind: int, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Problem("must be an integer")
    low, high = _RANGES[kind]
    if not low <= value <= high:
        raise _Problem(f"must be an integer from {low} to {high}")
    return value


def _checked_text_type(name: str, text: str) -> str:
    if name == "google.protobuf.FieldMask":
        text = ",".join(_camel_case(path.strip()) for path in text.split(",") if path.strip())
    try:
        _TEXT_TYPES[name]().FromJsonString(text)
    except ValueError as error:
        raise _Problem(f"is not a valid {name.rpartition('.')[2]}: {error}") from None
    return text


def _camel_case(path: str) -> str:
    """A field mask path in the JSON form json_format reads, whether it was sent snake_case or camelCase."""
    return ".".join(
        re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), part) for part in path.split(".")
    )


def _set_text(
    descriptor: Descriptor,
    fields: dict[str, Any],
    name: str,
    text: str,
    problems: list[FieldViolation],
    *,
    json_names: bool,
) -> None:
    """Sets the field dotted `name` names to the value of `text` in the JSON document `fields`."""
    names = name.split(".")
    target = fields
    for index, part in enumerate(names):
        field = _field_named(descriptor, part, json_names=json_names)
        if field is None:
            problems.append(FieldViolation(name, f"is not a field of {descriptor.full_name}"))
            return
        last = index == len(names) - 1
        is_message = field.message_type is not None and field.message_type.full_name not in _TEXT_TYPES
        if not last:
            if not is_message or field.is_repeated:
                problems.append(FieldViolation(name, f"{part} has no fields to name"))
                return
            if target.get(field.name) is None:
                target[field.name] = {}
            target, descriptor = target[field.name], field.message_type
            continue
        try:
            value = _text_value(field, text)
        except _Problem as problem:
            problems.append(FieldViolation(name, problem.description))
            return
        if field.is_repeated:
            target.setdefault(field.name, []).append(value)
        else:
            target[field.name] = value


def _text_value(field: FieldDescriptor, text: str) -> Any:
    """The JSON value of a query parameter or path variable's text."""
    if field.message_type is not None:
        name = field.message_type.full_name
        if field.message_type.GetOptions().map_entry:
            raise _Problem("is a map: send it in a JSON body")
        if name in _WRAPPERS:
            return _text_value(field.message_type.fields_by_name["value"], text)
        if name not in _TEXT_TYPES:
            raise _Problem(f"is a message: name its fields ({field.name}.<field>=...)")
        return _checked_text_type(name, text)
    if field.type == FieldDescriptor.TYPE_BOOL:
        if text not in ("true", "false"):
            raise _Problem("must be true or false")
        return text == "true"
    if field.enum_type is not None and _INTEGER.fullmatch(text):
        return int(text)
    if field.type in _RANGES:
        return _checked_integer(field.type, text)
    return _json_value(field, text)
