"""Ports: the protocols every backend implements, in both colours."""

from tactica.ports._repository_async import AsyncRepository
from tactica.ports._repository_sync import Repository

__all__ = ["AsyncRepository", "Repository"]
