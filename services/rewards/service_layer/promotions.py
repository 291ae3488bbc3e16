"""Use cases of promotion eligibility (R2): the tenant's rules, the candidates of a unit, and why an
employee is or is not eligible.

Everyone of the tenant reads the rules; only an admin or HR for the whole tenant sets them. Candidates
are the active employees of a unit's subtree (of the whole tenant for HR of the whole tenant and admins)
whose grade history meets a rule, as the directory places them today; the head of the unit or of one
above it, and HR covering it, may list them. An employee's verdicts are theirs to read, their managers'
and HR's covering them.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.context import Principal
from services.chassis.directory.access import is_tenant_wide_hr, managed_unit_ids, may_manage_unit
from services.chassis.directory.model import DirectoryEmployee, EmployeeScope
from services.chassis.errors import FieldViolation, PermissionDenied, refuse
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.rewards.domain.eligibility import (
    EligibilityRule,
    EligibilityRuleSet,
    Verdict,
    evaluate,
    met_rules,
    rule_problems,
)
from services.rewards.service_layer.access import readable_employee, require_setup_writer
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from services.rewards.service_layer.records import check_version, existing

# Employees whose histories are read in one query while looking for candidates.
HISTORIES_PER_QUERY = 500


@dataclass(frozen=True)
class Candidate:
    employee: DirectoryEmployee
    verdict: Verdict


async def get_rules(uows: UnitOfWorkFactory, principal: Principal) -> EligibilityRuleSet:
    async with uows(principal.tenant_id) as uow:
        return await uow.eligibility_rules.current()


async def set_rules(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    rules: tuple[EligibilityRule, ...],
    expected_version: int,
    request_id: str,
) -> EligibilityRuleSet:
    require_setup_writer(principal, "the eligibility rules")
    refuse(rule_problems(rules))
    async with uows(principal.tenant_id) as uow:
        await uow.serialize(f"eligibility_rules:{principal.tenant_id}")
        if await uow.recall(principal, "SetEligibilityRules", request_id) is not None:
            return await uow.eligibility_rules.current()
        current = await uow.eligibility_rules.current()
        check_version("the eligibility rules", current.version, expected_version)
        updated = current
        if not current.version or current.rules != rules:
            updated = EligibilityRuleSet(rules, current.version + 1, principal.subject, utc_now())
            await uow.eligibility_rules.save(updated)
        await uow.remember(principal, "SetEligibilityRules", request_id, str(updated.version))
        await uow.commit()
        return updated


async def explain_eligibility(
    uows: UnitOfWorkFactory, principal: Principal, employee_id: str
) -> list[Verdict]:
    """The verdict of every rule of the tenant on the employee's history, in the rules' order."""
    async with uows(principal.tenant_id) as uow:
        employee = await readable_employee(uow, principal, employee_id)
        rules = (await uow.eligibility_rules.current()).rules
        history = await uow.grades.history(employee.id)
        return [evaluate(rule, history, employee.position_id) for rule in rules]


async def list_candidates(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, rule_id: str, page: PageRequest
) -> tuple[list[Candidate], str]:
    """One candidate per rule an employee meets, by employee id; a page holds up to page.size employees."""
    async with uows(principal.tenant_id) as uow:
        rules = _chosen_rules((await uow.eligibility_rules.current()).rules, rule_id)
        scope = await _candidate_scope(uow, principal, unit_id)
        employees = sorted(await uow.directory.active_employees(scope), key=lambda employee: employee.id)
        if page.after is not None:
            employees = [employee for employee in employees if employee.id > page.after]
        candidates: list[Candidate] = []
        listed: list[str] = []
        for start in range(0, len(employees), HISTORIES_PER_QUERY):
            chunk = employees[start : start + HISTORIES_PER_QUERY]
            histories = await uow.grades.histories([employee.id for employee in chunk])
            for employee in chunk:
                verdicts = met_rules(rules, histories.get(employee.id, []), employee.position_id)
                if not verdicts:
                    continue
                candidates.extend(Candidate(employee, verdict) for verdict in verdicts)
                listed.append(employee.id)
                if len(listed) == page.size:
                    return candidates, page.next_token(listed, str)
        return candidates, ""


def _chosen_rules(rules: tuple[EligibilityRule, ...], rule_id: str) -> tuple[EligibilityRule, ...]:
    if not rule_id:
        return rules
    chosen = tuple(rule for rule in rules if rule.id == rule_id)
    if not chosen:
        known = ", ".join(rule.id for rule in rules)
        refuse([FieldViolation("rule_id", f"is not one of the tenant's rules ({known})")])
    return chosen


async def _candidate_scope(uow: RewardsUnitOfWork, principal: Principal, unit_id: str) -> EmployeeScope:
    if unit_id:
        existing(await uow.directory.unit(unit_id), "unit", unit_id)
        if not await may_manage_unit(uow.directory, principal, unit_id):
            raise PermissionDenied(f"only the head of unit {unit_id}, of a unit above it, or HR covering it")
        return EmployeeScope(unit_ids=tuple(await uow.directory.unit_subtree_ids(unit_id)))
    if is_tenant_wide_hr(principal):
        return EmployeeScope(everyone=True)
    units = await managed_unit_ids(uow.directory, principal)
    if not units:
        raise PermissionDenied("name a unit you head or cover as HR; the whole tenant is for HR and admins")
    return EmployeeScope(unit_ids=tuple(units))
