"""Every RPC the gateway serves, read from the generated descriptors: the public services of org, goals,
appraisal and rewards, which it forwards, and its own admin service. Each RPC's google.api.http
annotations give its HTTP routes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2
from fulcrum.gateway.v1 import gateway_pb2
from fulcrum.goals.v1 import goals_pb2
from fulcrum.org.v1 import org_pb2
from fulcrum.rewards.v1 import rewards_pb2
from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import Descriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message_factory import GetMessageClass

from services.gateway.domain.routes import PathTemplate, parse_template

GATEWAY = "gateway"
# The services behind the gateway, by the name their upstream address is configured under.
UPSTREAM_SERVICES: dict[str, ModuleType] = {
    "org": org_pb2,
    "goals": goals_pb2,
    "appraisal": appraisal_pb2,
    "rewards": rewards_pb2,
}
HTTP_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class HttpBinding:
    """One HTTP route of an RPC: verb, path template, and what the JSON body holds ("*" for the whole
    request, a field's name for that field, "" for no body: the fields not in the path are query
    parameters)."""

    verb: str
    template: PathTemplate
    body: str


@dataclass(frozen=True)
class Rpc:
    owner: str
    descriptor: MethodDescriptor
    bindings: tuple[HttpBinding, ...]

    @property
    def path(self) -> str:
        """The gRPC method path: /fulcrum.org.v1.OrgService/GetUnit."""
        return f"/{self.descriptor.containing_service.full_name}/{self.descriptor.name}"

    @property
    def full_name(self) -> str:
        return self.descriptor.full_name

    @property
    def is_write(self) -> bool:
        """An RPC changes something unless it is read with GET."""
        return not any(binding.verb == "GET" for binding in self.bindings)

    @property
    def request_type(self) -> Descriptor:
        return self.descriptor.input_type

    @property
    def response_type(self) -> Descriptor:
        return self.descriptor.output_type

    def new_request(self) -> Any:
        return GetMessageClass(self.descriptor.input_type)()

    def new_response(self) -> Any:
        return GetMessageClass(self.descriptor.output_type)()

    def __str__(self) -> str:
        return self.full_name


class CatalogError(ValueError):
    """An RPC whose HTTP annotation the gateway cannot serve."""


def upstream_rpcs() -> list[Rpc]:
    return [rpc for owner, module in UPSTREAM_SERVICES.items() for rpc in _rpcs(owner, _services(module))]


def gateway_rpcs() -> list[Rpc]:
    return list(_rpcs(GATEWAY, _services(gateway_pb2)))


def service_names(rpcs: Iterable[Rpc]) -> list[str]:
    return sorted({rpc.descriptor.containing_service.full_name for rpc in rpcs})


def _services(module: ModuleType) -> list[ServiceDescriptor]:
    return list(module.DESCRIPTOR.services_by_name.values())


def _rpcs(owner: str, services: Iterable[ServiceDescriptor]) -> Iterable[Rpc]:
    for service in services:
        for method in service.methods:
            yield Rpc(owner, method, tuple(_bindings(method)))


def _bindings(method: MethodDescriptor) -> Iterable[HttpBinding]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return
    rule = options.Extensions[annotations_pb2.http]
    for each in (rule, *rule.additional_bindings):
        yield _binding(method, each)


def _binding(method: MethodDescriptor, rule: http_pb2.HttpRule) -> HttpBinding:
    pattern = rule.WhichOneof("pattern")
    if pattern not in HTTP_VERBS:
        raise CatalogError(f"{method.full_name}: the gateway routes {', '.join(HTTP_VERBS)}, not {pattern}")
    if method.client_streaming or method.server_streaming:
        raise CatalogError(f"{method.full_name}: a streaming RPC has no HTTP route")
    try:
        template = parse_template(getattr(rule, pattern))
    except ValueError as error:
        raise CatalogError(f"{method.full_name}: {error}") from None
    if rule.body not in ("", "*") and rule.body not in method.input_type.fields_by_name:
        raise CatalogError(f"{method.full_name}: the body names no field of the request: {rule.body}")
    return HttpBinding(pattern.upper(), template, rule.body)
