"""Process areas: where in the service a problem happens, named by staff as they report (#housing-benefit)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from storage import ports
from storage import statements as sql
from storage.model import Area
from storage.tables import AreaRow


def _area(row: AreaRow | Any) -> Area:
    """From a mapped row or a Core row: both name their columns."""
    return Area(id=row.id or 0, workspace_id=row.workspace_id, name=row.name, slug=row.slug)


class SqlAreas(ports.AreaRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_slug(self, workspace_id: int, slug: str) -> Area | None:
        row = self.session.execute(sql.AREA_BY_SLUG, {"ws": workspace_id, "slug": slug}).first()
        return _area(row) if row else None

    def get(self, workspace_id: int, area_id: int) -> Area | None:
        row = self.session.execute(sql.AREA_BY_ID, {"ws": workspace_id, "id": area_id}).first()
        return _area(row) if row else None

    def add(self, workspace_id: int, name: str, slug: str) -> Area:
        row = AreaRow(workspace_id=workspace_id, name=name, slug=slug)
        self.session.add(row)
        self.session.flush()
        return _area(row)

    def list(self, workspace_id: int) -> list[Area]:
        rows = self.session.execute(sql.AREAS_OF, {"ws": workspace_id})
        return [_area(r) for r in rows]
