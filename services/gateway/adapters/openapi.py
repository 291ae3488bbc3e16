"""The OpenAPI 3.1 document of the HTTP API, generated from the same google.api.http annotations and
message descriptors the routes come from: never written by hand beside them.

Schemas follow the proto3 JSON mapping the gateway speaks: fields by their JSON names, enums as their
names, 64-bit integers as strings, bytes as base64, Timestamps as RFC 3339 text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from services.gateway.adapters.rpc_catalog import HttpBinding, Rpc

OPENAPI_VERSION = "3.1.0"
ERROR_SCHEMA = "Error"
# How deep query parameters reach into nested messages of a request.
MAX_QUERY_DEPTH = 3

_INTEGERS_32 = {
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_SINT32: "int32",
    FieldDescriptor.TYPE_SFIXED32: "int32",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_FIXED32: "uint32",
}
_INTEGERS_64 = {
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_SINT64: "int64",
    FieldDescriptor.TYPE_SFIXED64: "int64",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_FIXED64: "uint64",
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?s$"},
    "google.protobuf.FieldMask": {"type": "string", "description": "Field paths, separated by commas."},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
    },
}
_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "A failed call: its gRPC status code (number and name), message and google.rpc details.",
    "properties": {
        "code": {"type": "integer", "format": "int32"},
        "status": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": _WELL_KNOWN["google.protobuf.Any"]},
    },
    "required": ["code", "status", "message", "details"],
}


def openapi_document(
    routes: Iterable[tuple[Rpc, HttpBinding]], *, title: str, version: str
) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for rpc, binding in routes:
        operation = _operation(rpc, binding, schemas, operation_ids)
        paths.setdefault(binding.template.openapi_path(), {})[binding.verb.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "Generated from the google.api.http annotations of the suite's protos.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {ERROR_SCHEMA: _ERROR, **dict(sorted(schemas.components.items()))},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
        "security": [{"bearerToken": []}, {"apiKey": []}],
    }


def _operation(rpc: Rpc, binding: HttpBinding, schemas: _Schemas, operation_ids: set[str]) -> dict[str, Any]:
    service = rpc.descriptor.containing_service.name
    operation_id = f"{service}_{rpc.descriptor.name}"
    while operation_id in operation_ids:
        operation_id += "_"
    operation_ids.add(operation_id)
    path_fields = set(binding.template.variables)
    parameters = [
        {
            "name": variable,
            "in": "path",
            "required": True,
            "schema": schemas.field(_field_at(rpc.request_type, variable)),
        }
        for variable in binding.template.variables
    ]
    if binding.body != "*":
        skipped = path_fields | ({binding.body} if binding.body else set())
        parameters += _query_parameters(rpc.request_type, "", skipped, schemas, frozenset())
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": f"{rpc.descriptor.containing_service.full_name}.{rpc.descriptor.name}",
        "tags": [service],
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": schemas.message(rpc.response_type)}},
            },
            "default": {
                "description": "An error",
                "content": {"application/json": {"schema": {"$ref": _reference(ERROR_SCHEMA)}}},
            },
        },
    }
    if binding.body:
        body_schema = (
            schemas.message(rpc.request_type)
            if binding.body == "*"
            else schemas.field(rpc.request_type.fields_by_name[binding.body])
        )
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        }
    return operation


def _query_parameters(
    descriptor: Descriptor, prefix: str, skipped: set[str], schemas: _Schemas, seen: frozenset[str]
) -> list[dict[str, Any]]:
    """A parameter per field a query can set: scalars, enums, text well-known types, repeated ones, and
    the fields of nested messages, dotted."""
    parameters: list[dict[str, Any]] = []
    for field in descriptor.fields:
        name = prefix + field.name
        if name in skipped:
            continue
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            continue
        if message is not None and message.full_name not in _WELL_KNOWN and not _is_wrapper(message):
            depth = name.count(".") + 1
            if field.is_repeated or depth >= MAX_QUERY_DEPTH or message.full_name in seen:
                continue
            parameters += _query_parameters(
                message, name + ".", skipped, schemas, seen | {descriptor.full_name}
            )
            continue
        parameter: dict[str, Any] = {"name": name, "in": "query", "schema": schemas.field(field)}
        if field.is_repeated:
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def _field_at(descriptor: Descriptor, dotted: str) -> FieldDescriptor:
    *parents, last = dotted.split(".")
    for name in parents:
        descriptor = descriptor.fields_by_name[name].message_type
    return descriptor.fields_by_name[last]


def _reference(name: str) -> str:
    return f"#/components/schemas/{name}"


def _is_wrapper(message: Descriptor) -> bool:
    return (
        message.full_name.startswith("google.protobuf.")
        and message.name.endswith("Value")
        and (message.name not in ("Value", "ListValue"))
    )


class _Schemas:
    """The component schemas of every message and enum reached so far."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def message(self, descriptor: Descriptor) -> dict[str, Any]:
        if descriptor.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[descriptor.full_name])
        if _is_wrapper(descriptor):
            inner = self.scalar(descriptor.fields_by_name["value"])
            return inner | {"type": [inner["type"], "null"]}
        if descriptor.full_name not in self.components:
            schema: dict[str, Any] = {"type": "object", "properties": {}}
            self.components[descriptor.full_name] = schema
            schema["properties"] = {field.json_name: self.field(field) for field in descriptor.fields}
        return {"$ref": _reference(descriptor.full_name)}

    def enum(self, descriptor: EnumDescriptor) -> dict[str, Any]:
        if descriptor.full_name not in self.components:
            self.components[descriptor.full_name] = {
                "type": "string",
                "enum": [value.name for value in descriptor.values],
            }
        return {"$ref": _reference(descriptor.full_name)}

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        message = field.message_type
        if message is not None and message.GetOptions().map_entry:
            schema = {"type": "object", "additionalProperties": self.field(message.fields_by_name["value"])}
        elif field.is_repeated:
            schema = {"type": "array", "items": self.single(field)}
        else:
            schema = self.single(field)
        behaviors = field.GetOptions().Extensions[field_behavior_pb2.field_behavior]
        if field_behavior_pb2.OUTPUT_ONLY in behaviors:
            schema["readOnly"] = True
        if field_behavior_pb2.REQUIRED in behaviors:
            schema["description"] = "Required."
        return schema

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.message(field.message_type)
        if field.enum_type is not None:
            return self.enum(field.enum_type)
        return self.scalar(field)

    @staticmethod
    def scalar(field: FieldDescriptor) -> dict[str, Any]:
        kind = field.type
        if kind in _INTEGERS_32:
            return {"type": "integer", "format": _INTEGERS_32[kind]}
        if kind in _INTEGERS_64:
            return {"type": "string", "format": _INTEGERS_64[kind]}
        if kind == FieldDescriptor.TYPE_DOUBLE:
            return {"type": "number", "format": "double"}
        if kind == FieldDescriptor.TYPE_FLOAT:
            return {"type": "number", "format": "float"}
        if kind == FieldDescriptor.TYPE_BOOL:
            return {"type": "boolean"}
        if kind == FieldDescriptor.TYPE_BYTES:
            return {"type": "string", "contentEncoding": "base64"}
        return {"type": "string"}
