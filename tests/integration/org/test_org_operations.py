"""What HR and admins do with the org day to day (O1-O5, O7), through the real service."""

from __future__ import annotations

import grpc
from fulcrum.org.v1 import org_pb2

from tests.integration.org.helpers import (
    SmallOrg,
    as_employee,
    build_small_org,
    every_page,
    mask,
    rpc_error,
)
from tests.support.org import OrgHarness


def chart_by_unit(nodes: list[org_pb2.OrgChartNode]) -> dict[str, tuple[str, int, int, list[str]]]:
    """unit code -> (head name, headcount, total headcount, child unit codes), for the whole chart."""
    flat = {}
    for node in nodes:
        children = sorted(child.unit.code for child in node.children)
        flat[node.unit.code] = (node.head_display_name, node.headcount, node.total_headcount, children)
        flat |= chart_by_unit(list(node.children))
    return flat


def codes(small: SmallOrg, *names: str) -> list[str]:
    return sorted(small.units[name].code for name in names)


def ids(items: list[org_pb2.Employee] | list[org_pb2.Unit]) -> list[str]:
    return sorted(item.id for item in items)


def employee_ids(small: SmallOrg, *names: str) -> list[str]:
    return sorted(small.employees[name].id for name in names)


async def test_org_chart_shows_every_unit_with_its_head_and_direct_and_total_headcount(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    name = {key: employee.display_name for key, employee in small.employees.items()}
    code = {key: unit.code for key, unit in small.units.items()}

    whole = await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin)
    below_sales = await org.stub.GetOrgChart(
        org_pb2.GetOrgChartRequest(root_unit_id=small.units["sales"].id), metadata=admin
    )

    assert [root.unit.id for root in whole.roots] == [small.units["company"].id]
    assert chart_by_unit(list(whole.roots)) == {
        code["company"]: (name["ceo"], 1, 6, codes(small, "sales", "operations")),
        code["sales"]: (name["sales_head"], 1, 2, [code["sales_east"]]),
        code["sales_east"]: ("", 1, 1, []),
        code["operations"]: (name["operations_head"], 3, 3, []),
    }
    assert [root.unit.id for root in below_sales.roots] == [small.units["sales"].id]
    assert chart_by_unit(list(below_sales.roots)) == {
        code["sales"]: (name["sales_head"], 1, 2, [code["sales_east"]]),
        code["sales_east"]: ("", 1, 1, []),
    }


async def test_employees_of_a_unit_subtree_come_page_by_page_without_duplicates_or_misses(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    whole_company = org_pb2.ListEmployeesRequest(unit_subtree_id=small.units["company"].id, page_size=2)
    sales_only = org_pb2.ListEmployeesRequest(unit_subtree_id=small.units["sales"].id, page_size=1)

    pages = await every_page(org.stub.ListEmployees, whole_company, "employees", admin)
    sales_pages = await every_page(org.stub.ListEmployees, sales_only, "employees", admin)

    assert len(pages) >= 3
    assert all(len(page) <= 2 for page in pages)
    listed = [employee.id for page in pages for employee in page]
    assert sorted(listed) == ids(list(small.employees.values()))
    assert len(listed) == len(set(listed))
    assert ids([e for page in sales_pages for e in page]) == employee_ids(small, "sales_head", "seller")


async def test_direct_reports_of_a_manager_come_page_by_page(org: OrgHarness):
    small = await build_small_org(org)
    request = org_pb2.ListEmployeesRequest(manager_id=small.employees["sales_head"].id, page_size=1)

    pages = await every_page(org.stub.ListEmployees, request, "employees", org.admin(small.tenant))

    assert [len(page) for page in pages[:2]] == [1, 1]
    assert ids([employee for page in pages for employee in page]) == employee_ids(small, "seller", "liaison")


async def test_reports_are_direct_only_or_direct_and_indirect_on_request(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    ceo = small.employees["ceo"].id

    direct = await every_page(
        org.stub.ListReports, org_pb2.ListReportsRequest(employee_id=ceo), "employees", admin
    )
    everyone = await every_page(
        org.stub.ListReports,
        org_pb2.ListReportsRequest(employee_id=ceo, include_indirect=True, page_size=2),
        "employees",
        admin,
    )

    assert ids(direct[0]) == employee_ids(small, "sales_head", "operations_head")
    listed = [employee.id for page in everyone for employee in page]
    assert sorted(listed) == employee_ids(
        small, "sales_head", "seller", "liaison", "operations_head", "analyst"
    )
    assert len(listed) == len(set(listed))


async def test_manager_chain_runs_from_the_nearest_manager_to_the_top(org: OrgHarness):
    small = await build_small_org(org)
    request = org_pb2.GetManagerChainRequest(employee_id=small.employees["seller"].id)

    chain = await org.stub.GetManagerChain(request, metadata=org.admin(small.tenant))

    assert [manager.id for manager in chain.managers] == [
        small.employees["sales_head"].id,
        small.employees["ceo"].id,
    ]


async def test_a_moved_unit_takes_its_subtree_along(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales, operations = small.units["sales"], small.units["operations"]

    moved = await org.stub.MoveUnit(
        org_pb2.MoveUnitRequest(unit_id=sales.id, new_parent_id=operations.id), metadata=admin
    )

    assert moved.unit.parent_id == operations.id
    assert moved.unit.version == sales.version + 1
    under_operations = await org.stub.ListUnits(
        org_pb2.ListUnitsRequest(subtree_of_unit_id=operations.id), metadata=admin
    )
    assert ids(list(under_operations.units)) == sorted(
        [operations.id, sales.id, small.units["sales_east"].id]
    )
    chart = chart_by_unit(
        list((await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin)).roots)
    )
    assert chart[operations.code][2:] == (5, [sales.code])
    below_operations = await org.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(unit_subtree_id=operations.id), metadata=admin
    )
    assert len(below_operations.employees) == 5


async def test_a_unit_moved_to_the_top_becomes_a_root(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)

    await org.stub.MoveUnit(org_pb2.MoveUnitRequest(unit_id=small.units["sales"].id), metadata=admin)

    chart = await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin)
    assert sorted(root.unit.id for root in chart.roots) == sorted(
        [small.units["company"].id, small.units["sales"].id]
    )
    under_company = await org.stub.ListUnits(
        org_pb2.ListUnitsRequest(subtree_of_unit_id=small.units["company"].id), metadata=admin
    )
    assert ids(list(under_company.units)) == sorted([small.units["company"].id, small.units["operations"].id])


async def test_units_come_page_by_page_in_tree_order(org: OrgHarness):
    small = await build_small_org(org)

    pages = await every_page(
        org.stub.ListUnits, org_pb2.ListUnitsRequest(page_size=1), "units", org.admin(small.tenant)
    )

    listed = [unit for page in pages for unit in page]
    assert ids(listed) == ids(list(small.units.values()))
    position = {unit.id: index for index, unit in enumerate(listed)}
    assert all(position[unit.parent_id] < position[unit.id] for unit in listed if unit.parent_id)


async def test_a_transfer_moves_an_employee_to_another_unit_and_position(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    seller = small.employees["seller"]

    transferred = await org.stub.TransferEmployee(
        org_pb2.TransferEmployeeRequest(
            employee_id=seller.id,
            new_unit_id=small.units["operations"].id,
            new_position_id=small.positions["analyst"].id,
        ),
        metadata=admin,
    )

    read = (
        await org.stub.GetEmployee(org_pb2.GetEmployeeRequest(employee_id=seller.id), metadata=admin)
    ).employee
    assert read == transferred.employee
    assert (read.unit_id, read.position_id, read.manager_id) == (
        small.units["operations"].id,
        small.positions["analyst"].id,
        small.employees["sales_head"].id,
    )
    assert read.version == seller.version + 1
    chart = chart_by_unit(
        list((await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin)).roots)
    )
    assert chart[small.units["sales_east"].code][1:3] == (0, 0)
    assert chart[small.units["operations"].code][1:3] == (4, 4)


async def test_a_manager_change_moves_the_employees_whole_reporting_line(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    sales_head, operations_head = small.employees["sales_head"], small.employees["operations_head"]

    changed = await org.stub.ChangeManager(
        org_pb2.ChangeManagerRequest(employee_id=sales_head.id, new_manager_id=operations_head.id),
        metadata=admin,
    )

    assert changed.employee.manager_id == operations_head.id
    below = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=operations_head.id, include_indirect=True), metadata=admin
    )
    assert ids(list(below.employees)) == employee_ids(small, "analyst", "sales_head", "seller", "liaison")
    chain = await org.stub.GetManagerChain(
        org_pb2.GetManagerChainRequest(employee_id=small.employees["seller"].id), metadata=admin
    )
    assert [e.id for e in chain.managers] == [sales_head.id, operations_head.id, small.employees["ceo"].id]


async def test_a_terminated_employee_is_left_out_of_lists_unless_asked_for(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    seller = small.employees["seller"]

    terminated = await org.stub.TerminateEmployee(
        org_pb2.TerminateEmployeeRequest(employee_id=seller.id, termination_date="2024-06-30"), metadata=admin
    )

    assert terminated.employee.status == org_pb2.EMPLOYMENT_STATUS_TERMINATED
    assert terminated.employee.termination_date == "2024-06-30"
    active = await org.stub.ListEmployees(org_pb2.ListEmployeesRequest(), metadata=admin)
    assert len(active.employees) == 5
    assert seller.id not in ids(list(active.employees))
    everyone = await org.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(include_terminated=True), metadata=admin
    )
    assert seller.id in ids(list(everyone.employees))
    reports = await org.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=small.employees["ceo"].id, include_indirect=True),
        metadata=admin,
    )
    assert seller.id not in ids(list(reports.employees))
    chart = chart_by_unit(
        list((await org.stub.GetOrgChart(org_pb2.GetOrgChartRequest(), metadata=admin)).roots)
    )
    assert chart[small.units["company"].code][2] == 5


async def test_an_update_changes_only_the_fields_in_its_mask(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    analyst = small.employees["analyst"]
    wanted = org_pb2.Employee(
        id=analyst.id, display_name="Renamed analyst", email="ignored@example.com", hire_date="2022-02-02"
    )

    updated = await org.stub.UpdateEmployee(
        org_pb2.UpdateEmployeeRequest(employee=wanted, update_mask=mask("display_name", "hire_date")),
        metadata=admin,
    )

    expected = org_pb2.Employee()
    expected.CopyFrom(analyst)
    expected.display_name, expected.hire_date, expected.version = (
        "Renamed analyst",
        "2022-02-02",
        analyst.version + 1,
    )
    expected.update_time.CopyFrom(updated.employee.update_time)
    assert updated.employee == expected
    read = await org.stub.GetEmployee(org_pb2.GetEmployeeRequest(employee_id=analyst.id), metadata=admin)
    assert read.employee == expected


async def test_positions_say_who_assesses_them_and_can_be_changed(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    seller = small.positions["seller"]

    assert seller.assessor_position_id == small.positions["sales_manager"].id
    updated = await org.stub.UpdatePosition(
        org_pb2.UpdatePositionRequest(
            position=org_pb2.Position(
                id=seller.id,
                assessor_position_id=small.positions["ceo"].id,
                responsibilities=["Win new accounts", "Keep the pipeline current"],
            ),
            update_mask=mask("assessor_position_id", "responsibilities"),
            expected_version=seller.version,
        ),
        metadata=admin,
    )

    read = await org.stub.GetPosition(org_pb2.GetPositionRequest(position_id=seller.id), metadata=admin)
    assert read.position == updated.position
    assert read.position.assessor_position_id == small.positions["ceo"].id
    assert list(read.position.responsibilities) == ["Win new accounts", "Keep the pipeline current"]
    assert (read.position.title, read.position.version) == (seller.title, seller.version + 1)
    in_operations = await org.stub.ListPositions(
        org_pb2.ListPositionsRequest(unit_id=small.units["operations"].id), metadata=admin
    )
    assert sorted(p.id for p in in_operations.positions) == sorted(
        small.positions[name].id for name in ("operations_manager", "analyst")
    )


async def test_an_empty_unit_and_an_unheld_position_can_be_deleted(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    spare = (
        await org.stub.CreateUnit(
            org_pb2.CreateUnitRequest(
                unit=org_pb2.Unit(code=f"SPARE-{small.tag}", name="Spare", parent_id=small.units["sales"].id)
            ),
            metadata=admin,
        )
    ).unit
    vacant = (
        await org.stub.CreatePosition(
            org_pb2.CreatePositionRequest(
                position=org_pb2.Position(code=f"VACANT-{small.tag}", title="Vacant", unit_id=spare.id)
            ),
            metadata=admin,
        )
    ).position

    await org.stub.DeletePosition(org_pb2.DeletePositionRequest(position_id=vacant.id), metadata=admin)
    await org.stub.DeleteUnit(org_pb2.DeleteUnitRequest(unit_id=spare.id), metadata=admin)

    await rpc_error(
        org.stub.GetPosition(org_pb2.GetPositionRequest(position_id=vacant.id), metadata=admin),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        org.stub.GetUnit(org_pb2.GetUnitRequest(unit_id=spare.id), metadata=admin), grpc.StatusCode.NOT_FOUND
    )


async def test_responsibility_matrix_names_owner_data_provider_and_assessor_of_a_metric(org: OrgHarness):
    # O4: sales conversion rate, data from Operations, assessed by the sales manager.
    small = await build_small_org(org)
    hr = as_employee(org, small, "analyst", "hr")
    conversion = org_pb2.Responsibility(
        subject_id="metric:sales-conversion-rate",
        subject_kind=org_pb2.SUBJECT_KIND_METRIC,
        owner_position_id=small.positions["seller"].id,
        data_provider_unit_id=small.units["operations"].id,
        assessor_position_id=small.positions["sales_manager"].id,
    )
    revenue = org_pb2.Responsibility(
        subject_id="goal:new-products-30-percent-of-revenue",
        subject_kind=org_pb2.SUBJECT_KIND_GOAL,
        owner_position_id=small.positions["sales_manager"].id,
    )

    stored = (
        await org.stub.SetResponsibility(
            org_pb2.SetResponsibilityRequest(responsibility=conversion), metadata=hr
        )
    ).responsibility
    await org.stub.SetResponsibility(org_pb2.SetResponsibilityRequest(responsibility=revenue), metadata=hr)

    expected = org_pb2.Responsibility()
    expected.CopyFrom(conversion)
    expected.version = 1
    assert stored == expected
    reader = as_employee(org, small, "seller")
    read = await org.stub.GetResponsibility(
        org_pb2.GetResponsibilityRequest(subject_id=conversion.subject_id), metadata=reader
    )
    assert read.responsibility == expected
    owned_by_seller = await org.stub.ListResponsibilities(
        org_pb2.ListResponsibilitiesRequest(owner_position_id=small.positions["seller"].id), metadata=reader
    )
    assert list(owned_by_seller.responsibilities) == [expected]
    everything = await every_page(
        org.stub.ListResponsibilities,
        org_pb2.ListResponsibilitiesRequest(page_size=1),
        "responsibilities",
        reader,
    )
    assert sorted(r.subject_id for page in everything for r in page) == sorted(
        [conversion.subject_id, revenue.subject_id]
    )

    reassigned = org_pb2.Responsibility()
    reassigned.CopyFrom(conversion)
    reassigned.assessor_position_id = small.positions["ceo"].id
    changed = await org.stub.SetResponsibility(
        org_pb2.SetResponsibilityRequest(responsibility=reassigned, expected_version=1), metadata=hr
    )
    assert (changed.responsibility.assessor_position_id, changed.responsibility.version) == (
        small.positions["ceo"].id,
        2,
    )

    await org.stub.DeleteResponsibility(
        org_pb2.DeleteResponsibilityRequest(subject_id=conversion.subject_id), metadata=hr
    )
    await rpc_error(
        org.stub.GetResponsibility(
            org_pb2.GetResponsibilityRequest(subject_id=conversion.subject_id), metadata=hr
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_an_admin_grants_hr_over_some_units_and_revokes_it(org: OrgHarness):
    small = await build_small_org(org)
    admin = org.admin(small.tenant)
    analyst = small.employees["analyst"]

    granted = await org.stub.GrantRole(
        org_pb2.GrantRoleRequest(
            grant=org_pb2.RoleGrant(
                employee_id=analyst.id, role=org_pb2.ROLE_HR, unit_ids=[small.units["operations"].id]
            )
        ),
        metadata=admin,
    )
    await org.stub.GrantRole(
        org_pb2.GrantRoleRequest(
            grant=org_pb2.RoleGrant(employee_id=small.employees["ceo"].id, role=org_pb2.ROLE_ADMIN)
        ),
        metadata=admin,
    )

    grant = granted.grant
    assert (grant.employee_id, grant.role, list(grant.unit_ids)) == (
        analyst.id,
        org_pb2.ROLE_HR,
        [small.units["operations"].id],
    )
    own = await org.stub.ListRoleGrants(
        org_pb2.ListRoleGrantsRequest(employee_id=analyst.id), metadata=as_employee(org, small, "analyst")
    )
    assert list(own.grants) == [grant]
    every = await org.stub.ListRoleGrants(org_pb2.ListRoleGrantsRequest(), metadata=admin)
    assert len(every.grants) == 2

    await org.stub.RevokeRole(org_pb2.RevokeRoleRequest(grant_id=grant.id), metadata=admin)

    after = await org.stub.ListRoleGrants(
        org_pb2.ListRoleGrantsRequest(employee_id=analyst.id), metadata=admin
    )
    assert list(after.grants) == []
