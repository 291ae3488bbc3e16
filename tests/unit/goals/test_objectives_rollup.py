"""The goal-tree use cases keep every stored roll-up right through any sequence of changes: values, weights,
measures, nodes added, moved under another parent and deleted. Checked on in-memory fakes against a
from-scratch recomputation of the whole forest, which the use cases themselves never do."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Self

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.chassis.context import ROLE_ADMIN, Principal
from services.chassis.errors import FailedPrecondition, InvalidArgument
from services.goals.domain.objectives import (
    KeyResult,
    KeyResultValue,
    Measure,
    Objective,
    ObjectiveLevel,
    path_of,
)
from services.goals.domain.progress import Direction, measured_progress
from services.goals.service_layer import key_results, objectives

TENANT = "tenant"
ADMIN = Principal(TENANT, "admin", frozenset({ROLE_ADMIN}))


class FakeNodes:
    """Objectives or key results by id, with the path operations the use cases need."""

    def __init__(self) -> None:
        self.rows: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        return self.rows.get(key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        return {key: self.rows[key] for key in keys if key in self.rows}

    async def add(self, thing: Any) -> None:
        self.rows[thing.id] = thing

    async def save_many(self, things: Sequence[Any]) -> None:
        for thing in things:
            self.rows[thing.id] = thing

    async def deepest_path_length(self, path: str) -> int:
        return max((len(row.path) for row in self.rows.values() if row.path.startswith(path)), default=0)

    async def move_subtree(self, old_path: str, new_path: str) -> None:
        for key, row in list(self.rows.items()):
            if row.path.startswith(old_path):
                self.rows[key] = replace(row, path=new_path + row.path[len(old_path) :])


class FakeObjectives(FakeNodes):
    async def remove(self, objective_id: str) -> None:
        del self.rows[objective_id]

    async def aligned_to(self, parent_ids: Iterable[str]) -> list[Objective]:
        wanted = set(parent_ids)
        return [
            o for o in self.rows.values() if {o.parent_objective_id, o.parent_key_result_id} & wanted - {None}
        ]


class FakeKeyResults(FakeNodes):
    async def remove_many(self, key_result_ids: Sequence[str]) -> None:
        for key in key_result_ids:
            del self.rows[key]

    async def of_objective(self, objective_id: str) -> list[KeyResult]:
        return [kr for kr in self.rows.values() if kr.objective_id == objective_id]

    async def add_values(self, values: Sequence[KeyResultValue]) -> None:
        pass


class FakeUnitOfWork:
    """Changes stay only when committed, like a transaction."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.tenant_id = TENANT

    async def __aenter__(self) -> Self:
        self._saved = (copy.copy(self._store.objectives.rows), copy.copy(self._store.key_results.rows))
        self._committed = False
        self.objectives = self._store.objectives
        self.key_results = self._store.key_results
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._committed:
            self._store.objectives.rows, self._store.key_results.rows = self._saved

    def emit(self, tenant_id: str, event: Any) -> None:
        pass

    async def serialize(self, name: str) -> None:
        pass

    async def commit(self) -> None:
        self._committed = True

    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None:
        return None

    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None:
        pass


class FakeStore:
    def __init__(self) -> None:
        self.objectives = FakeObjectives()
        self.key_results = FakeKeyResults()

    def __call__(self, tenant_id: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


def recomputed(store: FakeStore) -> dict[str, float]:
    """Every node's progress from the leaves up, ignoring what is stored."""
    all_objectives = store.objectives.rows.values()
    all_key_results = store.key_results.rows.values()

    def weighted(contributors: list[tuple[float, float]]) -> float:
        total = sum(weight for weight, _ in contributors)
        return 0.0 if total <= 1e-9 else min(sum(w * p for w, p in contributors) / total, 1.0)

    def of_objective(objective: Objective) -> float:
        contributors = [
            (kr.weight, of_key_result(kr)) for kr in all_key_results if kr.objective_id == objective.id
        ]
        contributors += [
            (o.weight, of_objective(o)) for o in all_objectives if o.parent_objective_id == objective.id
        ]
        return weighted(contributors)

    def of_key_result(key_result: KeyResult) -> float:
        if key_result.measure is Measure.ALIGNED_OBJECTIVES:
            aligned = [o for o in all_objectives if o.parent_key_result_id == key_result.id]
            return weighted([(o.weight, of_objective(o)) for o in aligned])
        return measured_progress(
            key_result.start_value, key_result.target_value, key_result.current_value, key_result.direction
        )

    return {
        **{o.id: of_objective(o) for o in all_objectives},
        **{kr.id: of_key_result(kr) for kr in all_key_results},
    }


def assert_consistent(store: FakeStore) -> None:
    nodes: dict[str, Any] = {**store.objectives.rows, **store.key_results.rows}
    for node in nodes.values():
        parent_id = (
            node.objective_id
            if isinstance(node, KeyResult)
            else (node.parent_objective_id or node.parent_key_result_id)
        )
        assert node.path == path_of(nodes[parent_id].path if parent_id else None, node.id)
    expected = recomputed(store)
    for node_id, node in nodes.items():
        assert node.progress == pytest.approx(expected[node_id], abs=1e-9), node_id


Step = tuple[str, int, int, float]
steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "objective",
                "key result",
                "value",
                "weight",
                "align",
                "measure",
                "delete objective",
                "delete kr",
            ]
        ),
        st.integers(0, 10_000),
        st.integers(-1, 10_000),
        st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 3.5]),
    ),
    min_size=15,
    max_size=40,
)


async def apply(store: FakeStore, step: Step) -> None:
    kind, pick, other, number = step
    objective_ids = sorted(store.objectives.rows)
    key_result_ids = sorted(store.key_results.rows)
    parents = objective_ids + key_result_ids

    def chosen(ids: list[str], index: int) -> str:
        return ids[index % len(ids)] if ids and index >= 0 else ""

    if kind == "objective":
        parent = chosen(parents, other)
        values = {
            "title": "Objective",
            "description": "",
            "level": ObjectiveLevel.TENANT,
            "unit_id": "",
            "owner_employee_id": "",
            "parent_objective_id": parent if parent in store.objectives.rows else "",
            "parent_key_result_id": parent if parent in store.key_results.rows else "",
            "weight": number,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        }
        await objectives.create_objective(store, ADMIN, values=values, request_id="")
    elif kind == "key result" and objective_ids:
        values = {
            "objective_id": chosen(objective_ids, pick),
            "title": "Key result",
            "start_value": 0.0,
            "target_value": 1.0,
            "unit": "",
            "direction": Direction.HIGHER_IS_BETTER,
            "weight": number,
            "measure": Measure.ALIGNED_OBJECTIVES if other % 2 else Measure.MANUAL,
            "metric": None,
        }
        await key_results.create_key_result(store, ADMIN, values=values, request_id="")
    elif kind == "value" and key_result_ids:
        await key_results.record_key_result_value(
            store,
            ADMIN,
            key_result_id=chosen(key_result_ids, pick),
            value=number / 3.5,
            note="",
            request_id="",
        )
    elif kind == "weight" and parents:
        node_id = chosen(parents, pick)
        if node_id in store.objectives.rows:
            await objectives.update_objective(
                store,
                ADMIN,
                objective_id=node_id,
                values={"weight": number},
                mask=["weight"],
                expected_version=0,
                request_id="",
            )
        else:
            await key_results.update_key_result(
                store,
                ADMIN,
                key_result_id=node_id,
                values={"weight": number},
                mask=["weight"],
                expected_version=0,
                request_id="",
            )
    elif kind == "measure" and key_result_ids:
        measure = Measure.ALIGNED_OBJECTIVES if other % 2 else Measure.MANUAL
        await key_results.update_key_result(
            store,
            ADMIN,
            key_result_id=chosen(key_result_ids, pick),
            values={"measure": measure},
            mask=["measure"],
            expected_version=0,
            request_id="",
        )
    elif kind == "align" and objective_ids:
        parent = chosen(parents, other)
        await objectives.align_objective(
            store,
            ADMIN,
            objective_id=chosen(objective_ids, pick),
            parent_objective_id=parent if parent in store.objectives.rows else "",
            parent_key_result_id=parent if parent in store.key_results.rows else "",
            request_id="",
        )
    elif kind == "delete objective" and objective_ids:
        await objectives.delete_objective(
            store, ADMIN, objective_id=chosen(objective_ids, pick), request_id=""
        )
    elif kind == "delete kr" and key_result_ids:
        await key_results.delete_key_result(
            store, ADMIN, key_result_id=chosen(key_result_ids, pick), request_id=""
        )


async def run(plan: list[Step]) -> FakeStore:
    store = FakeStore()
    for step in plan:
        # Refused: a cycle, a node still aligned to, a typed value for an aggregating key result.
        with contextlib.suppress(InvalidArgument, FailedPrecondition):
            await apply(store, step)
        assert_consistent(store)
    return store


@settings(max_examples=200, deadline=None)
@given(steps)
def test_every_stored_rollup_equals_a_recomputation_after_any_sequence_of_changes(plan: list[Step]) -> None:
    asyncio.run(run(plan))
