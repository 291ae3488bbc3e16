"""The one place that wires the gateway's real adapters together, and `main`, its process entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.chassis.auth import TokenIssuer
from services.chassis.database import create_engine, create_session_factory
from services.chassis.logging import configure_logging
from services.chassis.migrations import upgrade_async
from services.gateway.adapters.internal_tokens import InternalTokens
from services.gateway.adapters.json_transcoding import Transcoder
from services.gateway.adapters.openapi import openapi_document
from services.gateway.adapters.people_tokens import PeopleTokenVerifier
from services.gateway.adapters.rpc_catalog import GATEWAY, Rpc, gateway_rpcs, upstream_rpcs
from services.gateway.adapters.unit_of_work import GatewaySqlUnitOfWork
from services.gateway.adapters.upstreams import Upstreams
from services.gateway.config import (
    PEOPLE_KEY_VARIABLE,
    SERVICE,
    SIGNING_KEY_VARIABLE,
    GatewaySettings,
    read_key_file,
)
from services.gateway.dev_keys import ensure_dev_keys
from services.gateway.domain.rate_limits import RateLimit
from services.gateway.domain.routes import Router
from services.gateway.entrypoints.admin_rpcs import GatewayAdminServicer
from services.gateway.entrypoints.audit_writer import write_audit_records
from services.gateway.entrypoints.calls import Gatekeeper
from services.gateway.entrypoints.dispatch import Dispatch, LocalDispatch, UpstreamDispatch
from services.gateway.entrypoints.grpc_front_door import front_door
from services.gateway.entrypoints.http_api import HttpApi, HttpTarget
from services.gateway.entrypoints.serving import GatewayApp, serve
from services.gateway.service_layer.audit import AuditTrail
from services.gateway.service_layer.authentication import Authenticator
from services.gateway.service_layer.ports import GatewayUnitOfWork
from services.gateway.service_layer.rate_limiting import RateLimits

API_TITLE = "Fulcrum API"
API_VERSION = "v1"


def http_router(rpcs: list[Rpc]) -> Router[HttpTarget]:
    """Every HTTP binding of every RPC; raises RouteCollision when two cannot be told apart."""
    router: Router[HttpTarget] = Router()
    for rpc in rpcs:
        for binding in rpc.bindings:
            router.add(binding.verb, binding.template, HttpTarget(rpc, Transcoder.of(rpc, binding)))
    return router


async def build(settings: GatewaySettings) -> GatewayApp:
    base = settings.base
    people_tokens = PeopleTokenVerifier(
        read_key_file(PEOPLE_KEY_VARIABLE, settings.people_key_file),
        settings.people_issuer,
        settings.people_audience,
    )
    issuer = TokenIssuer(
        read_key_file(SIGNING_KEY_VARIABLE, settings.signing_key_file), base.token_issuer, base.token_audience
    )
    forwarded, own = upstream_rpcs(), gateway_rpcs()
    router = http_router([*forwarded, *own])
    if base.migrate_on_start:
        await upgrade_async(SERVICE, base.database_url)
    engine = create_engine(base.database_url)
    session_factory = create_session_factory(engine)

    def unit_of_work() -> GatewayUnitOfWork:
        return GatewaySqlUnitOfWork(session_factory)

    upstreams = Upstreams(
        settings.upstreams,
        InternalTokens(issuer, timedelta(seconds=settings.token_ttl_seconds)),
        base.max_message_bytes,
    )
    authenticator = Authenticator(people_tokens, unit_of_work, settings.api_key_cache_seconds)
    rate_limits = RateLimits(
        RateLimit(settings.api_key_rate.rate, settings.api_key_rate.burst),
        RateLimit(settings.tenant_rate.rate, settings.tenant_rate.burst),
    )
    audit = AuditTrail(unit_of_work)
    gatekeeper = Gatekeeper(authenticator, rate_limits, audit)
    admin = GatewayAdminServicer(unit_of_work, authenticator)
    server, health, served = front_door(
        upstream_rpcs=forwarded,
        gateway_rpcs=own,
        upstreams=upstreams,
        gatekeeper=gatekeeper,
        admin=admin,
        max_message_bytes=base.max_message_bytes,
        max_deadline_seconds=settings.max_deadline_seconds,
    )
    upstream_dispatch = UpstreamDispatch(upstreams)
    dispatchers: dict[str, Dispatch] = {
        **{rpc.owner: upstream_dispatch for rpc in forwarded},
        GATEWAY: LocalDispatch(admin),
    }
    openapi = openapi_document(
        [(route.target.rpc, route.target.transcoder.binding) for route in router.all()],
        title=API_TITLE,
        version=API_VERSION,
    )
    http = HttpApi(
        router,
        dispatchers,
        gatekeeper,
        openapi,
        max_body_bytes=settings.max_body_bytes,
        max_deadline_seconds=settings.max_deadline_seconds,
    )

    async def write_audit() -> None:
        await write_audit_records(audit)

    async def flush_audit() -> None:
        await audit.write_pending()

    return GatewayApp(
        grpc_server=server,
        health=health,
        served=served,
        http_app=http.app(),
        background=[write_audit],
        on_stop=[flush_audit, upstreams.close, engine.dispose],
    )


def main() -> None:
    """Serve the gateway as this process: settings from the environment, until SIGTERM or SIGINT."""
    settings = GatewaySettings.from_env()
    configure_logging(SERVICE, settings.base.log_level)
    ensure_dev_keys(settings)

    async def build_and_serve() -> None:
        base = settings.base
        await serve(
            await build(settings),
            host=base.grpc_host,
            grpc_port=base.grpc_port,
            http_host=settings.http_host,
            http_port=settings.http_port,
            drain_seconds=base.drain_seconds,
        )

    asyncio.run(build_and_serve())
