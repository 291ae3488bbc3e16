"""Scorecard templates (A2): created and changed by HR with items whose weights sum to 100, read by anyone
of the tenant; item ids are the service's and survive an update that sends them back."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.setup_helpers import (
    Org,
    as_hr,
    as_person,
    build_org,
    qualitative_item,
    quantitative_item,
    setup_unchanged,
    template,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page, field_violations, mask, rpc_error
from tests.support.org import OrgHarness


async def create(
    appraisal: AppraisalHarness, org: Org, sent: appraisal_pb2.Template
) -> appraisal_pb2.Template:
    request = appraisal_pb2.CreateTemplateRequest(template=sent)
    return (await appraisal.stub.CreateTemplate(request, metadata=as_hr(appraisal, org))).template


async def test_hr_creates_a_template_that_everyone_of_the_tenant_reads(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    sent = template(position_ids=[built.positions["rep"]], unit_ids=[built.units["east"]])

    created = await create(appraisal, built, sent)
    read = await appraisal.stub.GetTemplate(
        appraisal_pb2.GetTemplateRequest(template_id=created.id),
        metadata=as_person(appraisal, built, "rep_a"),
    )

    assert read.template == created
    assert created.version == 1
    assert created.name == "Operators"
    assert [item.title for item in created.items] == ["Defect rate", "Customer focus"]
    assert all(item.id for item in created.items)
    assert created.items[0].id != created.items[1].id
    quantitative = created.items[0].quantitative
    assert (quantitative.metric_code, quantitative.target, quantitative.linear.cap) == (
        "defect_rate",
        3.0,
        120.0,
    )
    assert created.items[1].qualitative.scale_max == 5
    assert list(created.position_ids) == [built.positions["rep"]]


async def test_templates_are_listed_page_by_page(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = {(await create(appraisal, built, template(f"template {n}"))).id for n in range(5)}

    pages = await every_page(
        appraisal.stub.ListTemplates,
        appraisal_pb2.ListTemplatesRequest(page_size=2),
        "templates",
        as_person(appraisal, built, "analyst"),
    )

    assert [len(page) for page in pages] == [2, 2, 1]
    assert {t.id for page in pages for t in page} == created


async def test_weights_that_do_not_sum_to_100_are_refused_and_change_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    sent = template(items=[quantitative_item(weight=60), qualitative_item(weight=30)])

    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.CreateTemplate(
                appraisal_pb2.CreateTemplateRequest(template=sent), metadata=as_hr(appraisal, built)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert "sum to 90" in field_violations(error)["template.items"]


async def test_every_bad_field_is_named(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    no_direction = quantitative_item(weight=50)
    no_direction.quantitative.direction = appraisal_pb2.DIRECTION_UNSPECIFIED
    no_kind = appraisal_pb2.Item(title="Something", weight=20)
    bad_scale = qualitative_item(weight=30)
    bad_scale.qualitative.scale_max = 11
    sent = template(name=" ", unit_ids=["no-such-unit"], items=[no_direction, no_kind, bad_scale])

    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.CreateTemplate(
                appraisal_pb2.CreateTemplateRequest(template=sent), metadata=as_hr(appraisal, built)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )

    assert {
        "template.name",
        "template.items[0].quantitative.direction",
        "template.items[1].kind",
        "template.items[2].qualitative.scale_max",
    } <= set(field_violations(error))


async def test_a_template_for_an_unknown_unit_is_refused(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.CreateTemplate(
                appraisal_pb2.CreateTemplateRequest(template=template(unit_ids=["no-such-unit"])),
                metadata=as_hr(appraisal, built),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert field_violations(error) == {"template.unit_ids[0]": "no such unit"}


async def test_an_update_keeps_the_ids_of_items_sent_back_and_gives_new_items_new_ids(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create(appraisal, built, template())
    kept = appraisal_pb2.Item()
    kept.CopyFrom(created.items[0])
    kept.weight = 50
    added = qualitative_item("Teamwork", weight=20)
    changed = appraisal_pb2.Template(
        id=created.id, name="Line operators", items=[kept, qualitative_item(weight=30), added]
    )

    updated = (
        await appraisal.stub.UpdateTemplate(
            appraisal_pb2.UpdateTemplateRequest(
                template=changed, update_mask=mask("name", "items"), expected_version=1
            ),
            metadata=as_hr(appraisal, built),
        )
    ).template

    assert updated.version == 2
    assert updated.name == "Line operators"
    assert updated.items[0].id == created.items[0].id
    assert updated.items[0].weight == 50
    assert updated.items[1].id != created.items[1].id
    assert len({item.id for item in updated.items}) == 3


async def test_an_update_that_breaks_the_weights_changes_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create(appraisal, built, template())
    changed = appraisal_pb2.Template(id=created.id, items=[quantitative_item(weight=100), qualitative_item()])

    async with setup_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.UpdateTemplate(
                appraisal_pb2.UpdateTemplateRequest(template=changed, update_mask=mask("items")),
                metadata=as_hr(appraisal, built),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
    assert "template.items" in field_violations(error)


async def test_a_stale_version_is_aborted(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create(appraisal, built, template())
    async with setup_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.UpdateTemplate(
                appraisal_pb2.UpdateTemplateRequest(
                    template=appraisal_pb2.Template(id=created.id, name="Renamed"),
                    update_mask=mask("name"),
                    expected_version=2,
                ),
                metadata=as_hr(appraisal, built),
            ),
            grpc.StatusCode.ABORTED,
        )


async def test_only_admins_and_tenant_wide_hr_write_templates(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create(appraisal, built, template())
    update = appraisal_pb2.UpdateTemplateRequest(
        template=appraisal_pb2.Template(id=created.id, name="Renamed"), update_mask=mask("name")
    )
    async with setup_unchanged(appraisal):
        for metadata in (as_person(appraisal, built, "sales_head"), as_hr(appraisal, built, "sales")):
            await rpc_error(
                appraisal.stub.CreateTemplate(
                    appraisal_pb2.CreateTemplateRequest(template=template()), metadata=metadata
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
            await rpc_error(
                appraisal.stub.UpdateTemplate(update, metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
            )


async def test_a_retried_create_makes_one_template(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    request = appraisal_pb2.CreateTemplateRequest(template=template(), request_id="create-1")

    first = await appraisal.stub.CreateTemplate(request, metadata=as_hr(appraisal, built))
    again = await appraisal.stub.CreateTemplate(request, metadata=as_hr(appraisal, built))
    listed = await appraisal.stub.ListTemplates(
        appraisal_pb2.ListTemplatesRequest(), metadata=as_hr(appraisal, built)
    )

    assert first.template == again.template
    assert [t.id for t in listed.templates] == [first.template.id]


async def test_another_tenants_templates_are_not_found(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    ours, theirs = await build_org(org, appraisal), await build_org(org, appraisal)
    created = await create(appraisal, theirs, template())

    await rpc_error(
        appraisal.stub.GetTemplate(
            appraisal_pb2.GetTemplateRequest(template_id=created.id), metadata=as_hr(appraisal, ours)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    async with setup_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.UpdateTemplate(
                appraisal_pb2.UpdateTemplateRequest(
                    template=appraisal_pb2.Template(id=created.id, name="Mine now"), update_mask=mask("name")
                ),
                metadata=as_hr(appraisal, ours),
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    listed = await appraisal.stub.ListTemplates(
        appraisal_pb2.ListTemplatesRequest(), metadata=as_hr(appraisal, ours)
    )
    assert list(listed.templates) == []
