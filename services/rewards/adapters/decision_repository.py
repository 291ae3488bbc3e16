"""Placeholder: the area's repositories are being written."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class GradeRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id
