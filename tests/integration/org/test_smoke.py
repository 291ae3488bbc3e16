from fulcrum.org.v1 import org_pb2

from tests.support.org import OrgHarness, new_tenant


async def test_units_and_employees_round_trip(org: OrgHarness) -> None:
    tenant = new_tenant()
    admin = org.admin(tenant)
    company = (await org.stub.CreateUnit(org_pb2.CreateUnitRequest(unit=org_pb2.Unit(code="CO", name="Company")), metadata=admin)).unit
    ceo = (await org.stub.HireEmployee(org_pb2.HireEmployeeRequest(employee=org_pb2.Employee(
        employee_number="1", display_name="Ceo", email="ceo@x.com", unit_id=company.id, hire_date="2020-01-01")), metadata=admin)).employee
    worker = (await org.stub.HireEmployee(org_pb2.HireEmployeeRequest(employee=org_pb2.Employee(
        employee_number="2", display_name="Worker", email="w@x.com", unit_id=company.id, manager_id=ceo.id, hire_date="2021-01-01")), metadata=admin)).employee
    reports = await org.stub.ListReports(org_pb2.ListReportsRequest(employee_id=ceo.id, include_indirect=True), metadata=admin)
    assert [e.id for e in reports.employees] == [worker.id]
    chain = await org.stub.GetManagerChain(org_pb2.GetManagerChainRequest(employee_id=worker.id), metadata=admin)
    assert [e.id for e in chain.managers] == [ceo.id]
