"""The duplicate check's candidates, read once and then kept: each new report costs a fingerprint, not 500 rows.

A new report is compared with the newest open problems of its area (up to 500). Reading them all for every
report cost more than the rest of capture together (1.3 ms at 500, against a 0.2 ms fingerprint). This process
keeps each area's window and, before using it, checks it against the database in the same transaction: the
window's size, the sum of its ids, the largest id and the sum of those under investigation. Problems reported since (here or by another replica) are
read alone and added; any other change (a problem closed, merged, reopened or moved) reads the window again.
A kept window is never trusted without that check, so it can't serve a set the database no longer holds.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from storage import statements as sql
from storage.model import STATUSES, OpenProblems, Problem, Status

KEPT_PROBLEMS = 20_000  # across all areas kept: about 5 MB of short texts, whatever the organisation's size
Key = tuple[int, int, int | None]  # (the cache's number in this process, workspace id, area id)
_caches = itertools.count(1)


def _fingerprint(problems: tuple[Problem, ...]) -> tuple[int, ...]:
    """What the database's fingerprint of the same window must equal (statements._open_fingerprint)."""
    ids = [p.id or 0 for p in problems]
    investigating = sum(p.id or 0 for p in problems if p.status is Status.INVESTIGATING)
    return len(ids), sum(ids), max(ids, default=0), investigating


def _grown(version: tuple[int, ...], added: tuple[Problem, ...]) -> tuple[int, ...]:
    """A window's figures with problems added and none dropped, without going over the whole window again."""
    count, total, newest, investigating = version
    ids = [p.id or 0 for p in added]
    under = sum(p.id or 0 for p in added if p.status is Status.INVESTIGATING)
    return count + len(ids), total + sum(ids), max([newest, *ids]), investigating + under


class OpenProblemsCache:
    """One per database (the unit of work factory's), shared by its threads; windows evicted oldest first."""

    def __init__(self, kept: int = KEPT_PROBLEMS) -> None:
        self.kept = kept
        self.number = next(_caches)  # in every key it hands out: another database's windows never pass for its own
        self._windows: OrderedDict[tuple[Key, int], OpenProblems] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def read(self, db: Any, workspace_id: int, area_id: int | None, limit: int) -> OpenProblems:
        key: Key = (self.number, workspace_id, area_id)
        params: dict[str, Any] = {"ws": workspace_id, "limit": limit}
        if area_id is not None:
            params["area"] = area_id
        with self._lock:
            kept = self._windows.get((key, limit))
            if kept is not None:
                self._windows.move_to_end((key, limit))
        wanted = None
        if kept is None or kept.version[0] < limit:  # the area's open problems all fit: count them all, cheaper
            wanted = _figures(db, sql.all_open_fingerprint(area_id), params)
        if wanted is None or wanted[0] > limit:  # more open than the window holds: the window's own figures
            wanted = _figures(db, sql.open_fingerprint(area_id), params)
        if kept is not None and kept.version == wanted:
            return kept
        window: OpenProblems | None = None
        if kept is not None and wanted[2] > kept.version[2]:  # reported since: read those alone
            added = _problems(db.execute(sql.open_since(area_id), {**params, "after": kept.version[2]}), key)
            merged = (*added, *kept.problems)
            if added and kept.problems and added[-1].number < kept.problems[0].number:  # committed out of order
                merged = tuple(sorted(merged, key=lambda p: -p.number))
            problems = merged[:limit]
            version = _grown(kept.version, added) if len(merged) <= limit else _fingerprint(problems)
            if version == wanted:
                window = OpenProblems(key, version, problems, grew_from=kept.version, added=added)
        if window is None:  # anything else changed: the window again
            problems = _problems(db.execute(sql.open_window(area_id), params), key)
            window = OpenProblems(key, _fingerprint(problems), problems)
        self._keep((key, limit), window)
        return window

    def _keep(self, slot: tuple[Key, int], window: OpenProblems) -> None:
        with self._lock:
            old = self._windows.pop(slot, None)
            self._held -= len(old.problems) if old is not None else 0
            self._windows[slot] = window
            self._held += len(window.problems)
            while self._held > self.kept and len(self._windows) > 1:
                _, evicted = self._windows.popitem(last=False)
                self._held -= len(evicted.problems)


def _figures(db: Any, statement: Any, params: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(v) for v in db.execute(statement, params).first())


def _problems(rows: Iterable[Any], key: Key) -> tuple[Problem, ...]:
    _, workspace_id, area_id = key
    return tuple(
        Problem(workspace_id, number, title, description, area_id=area_id, status=STATUSES[status], id=pid)
        for pid, number, title, description, status in rows
    )
