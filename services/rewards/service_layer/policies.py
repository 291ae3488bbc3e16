"""Use cases on the tenant's outcome policy (R1): publishing versions, reading them, and the two
templates of the requirements that ship as data (services/rewards/templates/policies.json).

Only an admin or HR for the whole tenant publishes. Everyone of the tenant reads the policy: it is the
tenant's published rulebook, and employees may see what a grade sets in motion. A version is never
changed; the versions are the policy's audit (X2): who published each, when and why.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr
from services.chassis.errors import (
    Aborted,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    refuse,
)
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.actions import ActionKind, ActionSpec, HrAlertKind, Money
from services.rewards.domain.policies import (
    OutcomePolicy,
    PolicyPublished,
    PolicyRule,
    RuleConditions,
    parse_date,
    policy_in_force,
    policy_problems,
    untitled_courses,
    with_course_titles,
    with_defaults,
)
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory

TEMPLATE_FILE = "policies.json"


class TemplateError(ValueError):
    """A template that is not a valid policy: a bug in the release."""


@functools.cache
def policy_templates() -> tuple[OutcomePolicy, ...]:
    document = json.loads(
        resources.files("services.rewards").joinpath("templates", TEMPLATE_FILE).read_text(encoding="utf-8")
    )
    return tuple(template_from_json(template) for template in document["templates"])


def policy_template(name: str) -> OutcomePolicy | None:
    return next((template for template in policy_templates() if template.name == name), None)


def template_from_json(document: dict[str, Any]) -> OutcomePolicy:
    """A template checked by the rules of a published policy; TemplateError names what is wrong."""
    template = with_defaults(
        OutcomePolicy(
            version=0,
            name=document["name"],
            effective_from=None,
            grades=tuple(document["grades"]),
            rules=tuple(_rule_from_json(rule) for rule in document["rules"]),
            note=document.get("note", ""),
        )
    )
    problems = policy_problems(template)
    if problems:
        raise TemplateError(
            f"policy template {template.name}: " + "; ".join(f"{v.field} {v.description}" for v in problems)
        )
    return template


def _rule_from_json(rule: dict[str, Any]) -> PolicyRule:
    conditions = rule.get("conditions", {})
    return PolicyRule(
        id=rule["id"],
        grade=rule["grade"],
        conditions=RuleConditions(
            position_ids=tuple(conditions.get("position_ids", ())),
            unit_ids=tuple(conditions.get("unit_ids", ())),
            previous_grades=tuple(conditions.get("previous_grades", ())),
        ),
        actions=tuple(_spec_from_json(action) for action in rule["actions"]),
        description=rule.get("description", ""),
    )


def _spec_from_json(action: dict[str, Any]) -> ActionSpec:
    fields = dict(action)
    kind = ActionKind(fields.pop("kind"))
    for name in ("escalation", "hr_alert"):
        if name in fields:
            fields[name] = HrAlertKind(fields[name])
    if "amount" in fields:
        fields["amount"] = Money(fields["amount"]["currency_code"], Decimal(fields["amount"]["amount"]))
    return ActionSpec(kind, **fields)


async def publish_policy(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    policy: OutcomePolicy,
    effective_from: str,
    template_name: str,
    expected_version: int,
    request_id: str,
) -> OutcomePolicy:
    """Publishes `policy` (its version, publisher and time are ignored) as the next version. With a
    template name and no rules, the template's grades and rules are published (and its name and note
    when the policy gives none). `expected_version` is the latest version the caller saw, 0 for none."""
    if not is_tenant_wide_hr(principal):
        raise PermissionDenied("only an admin or HR for the whole tenant may publish the outcome policy")
    if template_name:
        template = policy_template(template_name)
        if template is None:
            names = ", ".join(known.name for known in policy_templates())
            raise InvalidArgument(
                f"template_name {template_name!r} is not a template ({names})",
                [FieldViolation("template_name", f"is not one of the templates: {names}")],
            )
        if not policy.rules:
            policy = replace(
                policy,
                name=policy.name or template.name,
                grades=template.grades,
                rules=template.rules,
                note=policy.note or template.note,
            )
    effective = parse_date(effective_from)
    problems = [FieldViolation(f"policy.{v.field}", v.description) for v in policy_problems(policy)]
    if effective is None:
        problems.insert(0, FieldViolation("policy.effective_from", "must be a date written YYYY-MM-DD"))
    refuse(problems)
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"outcome_policy:{principal.tenant_id}")
        if (prior := await uow.recall(principal, "PublishPolicy", request_id)) is not None:
            return await _version(uow, int(prior))
        latest = await uow.policies.latest_version()
        if expected_version != latest:
            raise Aborted(
                f"the outcome policy is at version {latest}, not {expected_version}: read it again and retry"
            )
        published = with_defaults(
            replace(
                policy,
                version=latest + 1,
                effective_from=effective,
                rules=await _with_course_titles(uow, policy.rules),
                published_by=principal.subject,
                published_at=utc_now(),
            )
        )
        await uow.policies.add(published)
        uow.emit(principal.tenant_id, PolicyPublished(published))
        await uow.remember(principal, "PublishPolicy", request_id, str(published.version))
        await uow.commit()
        return published


async def _with_course_titles(
    uow: RewardsUnitOfWork, rules: tuple[PolicyRule, ...]
) -> tuple[PolicyRule, ...]:
    if not untitled_courses(rules):
        return rules
    titles = {code: course.title for code, course in (await uow.courses.catalog()).items()}
    return tuple(with_course_titles(rule, titles) for rule in rules)


async def get_policy(
    uows: UnitOfWorkFactory, principal: Principal, *, version: int, as_of: str
) -> OutcomePolicy:
    """The given version; else the one in force on `as_of`; else the latest."""
    if version < 0:
        raise InvalidArgument(
            "version must not be negative", [FieldViolation("version", "must not be negative")]
        )
    on = parse_date(as_of) if as_of else None
    if as_of and on is None:
        raise InvalidArgument(
            f"as_of {as_of!r} is not a date", [FieldViolation("as_of", "must be a date written YYYY-MM-DD")]
        )
    async with uows(principal.tenant_id) as uow:
        if version:
            return await _version(uow, version)
        if on is not None:
            found = policy_in_force(await uow.policies.all(), on)
            if found is None:
                raise NotFound(f"no outcome policy in force on {on}")
            return found
        latest = await uow.policies.latest_version()
        if not latest:
            raise NotFound("the tenant has published no outcome policy")
        return await _version(uow, latest)


async def list_policy_versions(
    uows: UnitOfWorkFactory, principal: Principal, page: PageRequest
) -> tuple[list[OutcomePolicy], str]:
    """Every version, newest first."""
    before = None
    if page.after is not None:
        if not page.after.isdigit():
            raise InvalidArgument(
                "page_token is not a page token this service made",
                [FieldViolation("page_token", "is not a page token this service made")],
            )
        before = int(page.after)
    async with uows(principal.tenant_id) as uow:
        policies = await uow.policies.page(before, page.size)
        return policies, page.next_token(policies, lambda policy: str(policy.version))


async def _version(uow: RewardsUnitOfWork, version: int) -> OutcomePolicy:
    policy = await uow.policies.get(version)
    if policy is None:
        raise NotFound(f"no outcome policy version {version}")
    return policy
