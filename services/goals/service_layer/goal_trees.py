"""What every change to a goal tree shares: taking the tree's lock, and rolling a node's change up
through its ancestors, each loaded once, written in one batch and announced in one event per kind."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from services.chassis.context import Principal
from services.chassis.errors import Aborted
from services.chassis.timestamps import utc_now
from services.goals.domain.objectives import (
    KeyResult,
    KeyResultsChanged,
    Objective,
    ObjectivesChanged,
    ancestor_ids,
    root_id,
)
from services.goals.domain.progress import Rollup, propagate
from services.goals.service_layer.goal_access import readable_key_result, readable_objective
from services.goals.service_layer.ports import GoalsUnitOfWork

Node = TypeVar("Node", Objective, KeyResult)


def new_id() -> str:
    return str(uuid.uuid4())


def today() -> date:
    """Statuses are computed when they are read, against the calendar day in UTC."""
    return utc_now().date()


async def lock_trees(uow: GoalsUnitOfWork, paths: Iterable[str]) -> frozenset[str]:
    """Changes to one tree run one at a time across replicas, so no two of them read the same ancestors'
    roll-ups and both write theirs back. Trees are locked in the order of their root ids, so two changes
    that touch the same two trees cannot each hold one lock and wait for the other. Returns the roots
    locked."""
    roots = frozenset(root_id(path) for path in paths)
    for root in sorted(roots):
        await uow.serialize(f"goal-tree:{uow.tenant_id}:{root}")
    return roots


def check_still_in(roots: frozenset[str], nodes: Iterable[Objective | KeyResult]) -> None:
    """Read again under the locks, each node must still be in a locked tree: one moved to another tree
    between the first read and the lock would otherwise change unguarded."""
    if any(root_id(node.path) not in roots for node in nodes):
        raise Aborted("a goal tree was reorganized at the same moment; read it again and retry")


async def locked_objective(uow: GoalsUnitOfWork, principal: Principal, objective_id: str) -> Objective:
    """The objective the caller may read, read again once its tree is locked."""
    objective = await readable_objective(uow, principal, objective_id)
    roots = await lock_trees(uow, [objective.path])
    objective = await readable_objective(uow, principal, objective_id)
    check_still_in(roots, [objective])
    return objective


async def locked_key_result(
    uow: GoalsUnitOfWork, principal: Principal, key_result_id: str
) -> tuple[KeyResult, Objective]:
    """The key result the caller may read and its objective, read again once their tree is locked."""
    key_result, _ = await readable_key_result(uow, principal, key_result_id)
    roots = await lock_trees(uow, [key_result.path])
    key_result, objective = await readable_key_result(uow, principal, key_result_id)
    check_still_in(roots, [key_result])
    return key_result, objective


def check_version(kind: str, key: str, current: int, expected: int) -> None:
    """expected 0 means the caller does not care; anything else must match."""
    if expected and expected != current:
        raise Aborted(f"{kind} {key} is at version {current}, not {expected}: read it again and retry")


def rollup_of(contributors: Iterable[Objective | KeyResult]) -> Rollup:
    rollup = Rollup()
    for contributor in contributors:
        rollup = rollup.changed(0.0, 0.0, contributor.weight, contributor.progress)
    return rollup


class GoalTree:
    """The nodes one request changes.

    A changed contribution (a node's weight or progress) rolls up through the ancestors named by the
    node's path, loaded with one query per kind and kept, so the next change in the same request sees
    the new roll-ups. At the end every changed node is written in one batch per kind and announced in
    one event per kind, its version raised once however often it changed.
    """

    def __init__(self, uow: GoalsUnitOfWork, at: datetime) -> None:
        self._uow = uow
        self._at = at
        self._objectives: dict[str, Objective] = {}
        self._key_results: dict[str, KeyResult] = {}
        self._base_versions: dict[str, int] = {}
        self._added: set[str] = set()
        self._changed: list[str] = []
        self._deleted_objective_ids: list[str] = []
        self._deleted_key_result_ids: list[str] = []

    def know(self, *nodes: Objective | KeyResult) -> None:
        """Nodes already read, so ancestors named by a path are not read again; what this request
        changed stays as it is."""
        for node in nodes:
            if node.id not in self._objectives and node.id not in self._key_results:
                self._store(node)

    def current(self, node: Node) -> Node:
        """The node as this request has it now."""
        stored = (
            self._objectives.get(node.id) if isinstance(node, Objective) else self._key_results.get(node.id)
        )
        return stored if stored is not None else node  # type: ignore[return-value]

    def add(self, node: Node) -> Node:
        self._added.add(node.id)
        self._mark_changed(node.id)
        self._store(node)
        return node

    def change(self, node: Node) -> Node:
        """Take the node's new state; returns it with its version raised."""
        if node.id not in self._added:
            base = self._base_versions.setdefault(node.id, node.version)
            node = replace(node, version=base + 1, updated_at=self._at)
        self._mark_changed(node.id)
        self._store(node)
        return node

    def delete_objective(self, objective_id: str) -> None:
        self._deleted_objective_ids.append(objective_id)

    def delete_key_results(self, key_result_ids: Iterable[str]) -> None:
        self._deleted_key_result_ids.extend(key_result_ids)

    async def contribution_changed(
        self, path: str, old: tuple[float, float], new: tuple[float, float]
    ) -> None:
        """The node at `path` changed its (weight, progress) in its parent from `old` to `new`; a node
        joining a parent changes from (0, 0), one leaving it to (0, 0)."""
        ancestors = await self._ancestors(path)
        nodes = [ancestor.rollup_node() for ancestor in ancestors]
        by_id = {ancestor.id: ancestor for ancestor in ancestors}
        for updated in propagate(nodes, old[0], old[1], new[0], new[1]):
            self.change(replace(by_id[updated.id], rollup=updated.rollup))

    async def write(self) -> None:
        deleted = {*self._deleted_objective_ids, *self._deleted_key_result_ids}
        for node_id in self._changed:
            if node_id in self._added and node_id not in deleted:
                if node_id in self._objectives:
                    await self._uow.objectives.add(self._objectives[node_id])
                else:
                    await self._uow.key_results.add(self._key_results[node_id])
        saved = [i for i in self._changed if i not in self._added and i not in deleted]
        await self._uow.objectives.save_many([self._objectives[i] for i in saved if i in self._objectives])
        await self._uow.key_results.save_many([self._key_results[i] for i in saved if i in self._key_results])

    def announce(self) -> None:
        deleted = {*self._deleted_objective_ids, *self._deleted_key_result_ids}
        changed = [i for i in self._changed if i not in deleted]
        objectives = tuple(self._objectives[i] for i in changed if i in self._objectives)
        key_results = tuple(self._key_results[i] for i in changed if i in self._key_results)
        tenant_id = self._uow.tenant_id
        if objectives or self._deleted_objective_ids:
            self._uow.emit(tenant_id, ObjectivesChanged(objectives, tuple(self._deleted_objective_ids)))
        if key_results or self._deleted_key_result_ids:
            self._uow.emit(tenant_id, KeyResultsChanged(key_results, tuple(self._deleted_key_result_ids)))

    async def _ancestors(self, path: str) -> list[Objective | KeyResult]:
        ids = ancestor_ids(path)
        missing = [i for i in ids if i not in self._objectives and i not in self._key_results]
        if missing:
            found_objectives = await self._uow.objectives.get_many(missing)
            self.know(*found_objectives.values())
            self.know(
                *(await self._uow.key_results.get_many(set(missing) - found_objectives.keys())).values()
            )
        return [self._objectives[i] if i in self._objectives else self._key_results[i] for i in ids]

    def _store(self, node: Objective | KeyResult) -> None:
        if isinstance(node, Objective):
            self._objectives[node.id] = node
        else:
            self._key_results[node.id] = node

    def _mark_changed(self, node_id: str) -> None:
        if node_id not in self._changed:
            self._changed.append(node_id)
