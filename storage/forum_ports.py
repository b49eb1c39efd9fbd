"""The forum repository's contract: a workspace's '3 I' forums, where their digests go and when they meet."""

from __future__ import annotations

import abc

from storage.model import Forum, Workspace

DEFAULT_FORUM_SLUG = "forum"
DEFAULT_FORUM_NAME = "Improvement forum"


class ForumRepository(abc.ABC):
    @abc.abstractmethod
    def default(self, workspace_id: int) -> Forum:
        """The workspace's first forum, created on first use (DEFAULT_FORUM_NAME, slug
        DEFAULT_FORUM_SLUG, every area); two requests creating it at once make one. It may write:
        call it in a unit of work that may write."""

    @abc.abstractmethod
    def list(self, workspace_id: int) -> list[Forum]:
        """Oldest first."""

    @abc.abstractmethod
    def get(self, workspace_id: int, slug: str) -> Forum | None: ...

    def scheduled(self) -> list[tuple[Workspace, Forum]]:
        """Every forum with a digest destination, in every workspace, with its workspace: what the scheduler runs."""
        raise NotImplementedError

    @abc.abstractmethod
    def add(self, forum: Forum) -> Forum:
        """Stores a new forum; returns it with its id. A slug the workspace already has is an error
        (ValueError), and stores nothing."""

    @abc.abstractmethod
    def save(self, forum: Forum) -> None:
        """Writes name, destination, areas and schedule; LookupError if not in the workspace."""
