"""Use cases on the metric catalog (G2): define, read, change and retire metrics, and add an industry
template's metrics. Everyone in the tenant reads the catalog (partner systems need it to send readings);
only an admin or HR for the whole tenant changes it."""

from __future__ import annotations

import json
from dataclasses import replace
from operator import attrgetter

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    refuse,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.metrics import (
    Metric,
    MetricDraft,
    MetricsChanged,
    MetricTemplate,
    code_problem,
    draft_violations,
)
from services.goals.service_layer.ports import GoalsUnitOfWork, UnitOfWorkFactory
from services.goals.service_layer.templates import TEMPLATE_NAMES, metric_template, metric_templates

UPDATABLE_METRIC_FIELDS = (
    "name",
    "description",
    "unit",
    "direction",
    "formula",
    "inputs",
    "data_source",
    "owner_position_id",
    "category",
)


async def create_metric(
    uows: UnitOfWorkFactory, principal: Principal, *, code: str, draft: MetricDraft, request_id: str
) -> Metric:
    """Adds a metric under a code the catalog does not have yet."""
    _require_catalog_writer(principal)
    violations = draft_violations(draft)
    if (problem := code_problem(code)) is not None:
        violations.insert(0, FieldViolation("metric.code", problem))
    refuse(violations)
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow, principal)
        if (prior := await uow.recall(principal, "CreateMetric", request_id)) is not None:
            return await _existing(uow, prior)
        if await uow.metrics.get(code) is not None:
            raise AlreadyExists(
                f"the catalog has a metric {code}", [FieldViolation("metric.code", "is taken")]
            )
        metric = replace(draft.metric(principal.tenant_id, code), updated_at=utc_now())
        await uow.metrics.add_many([metric])
        uow.emit(principal.tenant_id, MetricsChanged(metrics=(metric,)))
        await uow.remember(principal, "CreateMetric", request_id, metric.code)
        await uow.commit()
        return metric


async def get_metric(uows: UnitOfWorkFactory, principal: Principal, code: str) -> Metric:
    """The catalog's metric with this code; NOT_FOUND when the tenant has none."""
    _require_code(code)
    async with uows(principal.tenant_id) as uow:
        return await _existing(uow, code)


async def list_metrics(
    uows: UnitOfWorkFactory, principal: Principal, category: str, page: PageRequest
) -> tuple[list[Metric], str]:
    """The catalog by code, in one category when one is named."""
    async with uows(principal.tenant_id) as uow:
        metrics = await uow.metrics.page(category or None, page.after, page.size)
        return metrics, page.next_token(metrics, attrgetter("code"))


async def update_metric(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    code: str,
    requested: MetricDraft,
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Metric:
    """Changes the masked fields. Values already computed stay as they are; new readings use the change."""
    _require_catalog_writer(principal)
    paths = checked_paths(mask, UPDATABLE_METRIC_FIELDS)
    _require_code(code, "metric.code")
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow, principal)
        if (prior := await uow.recall(principal, "UpdateMetric", request_id)) is not None:
            return await _existing(uow, prior)
        metric = await _existing(uow, code)
        if expected_version and expected_version != metric.version:
            raise Aborted(
                f"metric {code} is at version {metric.version}, not {expected_version}: "
                "read it again and retry"
            )
        draft = replace(MetricDraft.of(metric), **{path: getattr(requested, path) for path in paths})
        refuse(draft_violations(draft))
        updated = replace(
            draft.metric(principal.tenant_id, code),
            template=metric.template,
            version=metric.version,
            updated_at=metric.updated_at,
        )
        if updated != metric:
            updated = replace(updated, version=metric.version + 1, updated_at=utc_now())
            await uow.metrics.save(updated)
            uow.emit(principal.tenant_id, MetricsChanged(metrics=(updated,)))
        await uow.remember(principal, "UpdateMetric", request_id, code)
        await uow.commit()
        return updated


async def delete_metric(uows: UnitOfWorkFactory, principal: Principal, *, code: str, request_id: str) -> None:
    """Refused while key results are bound to the metric or alert rules watch it."""
    _require_catalog_writer(principal)
    _require_code(code)
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow, principal)
        if await uow.recall(principal, "DeleteMetric", request_id) is not None:
            return
        metric = await _existing(uow, code)
        blockers = []
        if bound := await uow.key_results.count_bound_to_metric(code):
            blockers.append(FieldViolation("key_results", f"{bound} key results are measured by it"))
        if rules := await uow.alerts.count_rules_for_metric(code):
            blockers.append(FieldViolation("alert_rules", f"{rules} alert rules watch it"))
        if blockers:
            details = "; ".join(f"{b.field}: {b.description}" for b in blockers)
            raise FailedPrecondition(f"metric {metric.code} is still in use ({details})", blockers)
        await uow.metrics.remove(code)
        uow.emit(principal.tenant_id, MetricsChanged(metrics=(), deleted_codes=(code,)))
        await uow.remember(principal, "DeleteMetric", request_id, code)
        await uow.commit()


def list_metric_templates() -> tuple[MetricTemplate, ...]:
    return metric_templates()


async def apply_metric_template(
    uows: UnitOfWorkFactory, principal: Principal, *, name: str, request_id: str
) -> list[Metric]:
    """Adds the template's metrics whose codes the catalog does not have; returns those it added."""
    _require_catalog_writer(principal)
    if not name:
        raise InvalidArgument("template is required", [FieldViolation("template", "is required")])
    template = metric_template(name)
    if template is None:
        raise NotFound(f"no metric template {name}; the templates are {', '.join(TEMPLATE_NAMES)}")
    async with uows(principal.tenant_id) as uow:
        await _lock_catalog(uow, principal)
        if (prior := await uow.recall(principal, "ApplyMetricTemplate", request_id)) is not None:
            codes = json.loads(prior)
            found = await uow.metrics.get_many(codes)
            return [found[code] for code in codes if code in found]
        present = await uow.metrics.get_many(metric.code for metric in template.metrics)
        now = utc_now()
        added = [
            replace(metric, tenant_id=principal.tenant_id, updated_at=now)
            for metric in template.metrics
            if metric.code not in present
        ]
        if added:
            await uow.metrics.add_many(added)
            uow.emit(principal.tenant_id, MetricsChanged(metrics=tuple(added)))
        await uow.remember(
            principal, "ApplyMetricTemplate", request_id, json.dumps([metric.code for metric in added])
        )
        await uow.commit()
        return added


def _require_catalog_writer(principal: Principal) -> None:
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied("only an admin or HR for the whole tenant may change the metric catalog")


def _require_code(code: str, field: str = "metric_code") -> None:
    if not code:
        raise InvalidArgument(f"{field} is required", [FieldViolation(field, "is required")])


async def _lock_catalog(uow: GoalsUnitOfWork, principal: Principal) -> None:
    """Changes to a tenant's catalog run one at a time, so two of them cannot both find a code free or
    both raise a metric from the same version; taken before anything the change depends on is read."""
    await uow.serialize(f"metric-catalog:{principal.tenant_id}")


async def _existing(uow: GoalsUnitOfWork, code: str) -> Metric:
    metric = await uow.metrics.get(code)
    if metric is None:
        # The code is echoed only when it could be one: a huge one would overflow gRPC's trailers.
        raise NotFound(f"no metric {code}" if code_problem(code) is None else "no metric with that code")
    return metric
