"""What tactica needs from a SQLAlchemy mapping, checked once per aggregate class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import Mapper

from tactica.errors import ConfigurationError

__all__ = ["MappedAggregate", "mapped_aggregate"]


@dataclass(frozen=True, slots=True)
class MappedAggregate:
    """The parts of an aggregate's mapping a repository reads and writes."""

    mapper: Mapper[Any]
    id_column: ColumnElement[Any]
    version_column: ColumnElement[Any]
    column_keys: tuple[str, ...]


def mapped_aggregate(aggregate_type: type[Any]) -> MappedAggregate:
    """Return the mapping of `aggregate_type`, or say what is missing from it.

    The class may be mapped imperatively (``registry.map_imperatively``) or declaratively;
    it needs a single-column primary key mapped to ``id`` and a version column mapped to
    ``version`` and named as the mapper's ``version_id_col``, which makes SQLAlchemy write
    ``UPDATE ... WHERE version = :expected`` and notice when no row matched.
    """
    name = aggregate_type.__qualname__
    mapper: Mapper[Any] | None = inspect(aggregate_type, raiseerr=False)
    if mapper is None:
        msg = (
            f"{name} is not mapped by SQLAlchemy; map it first, for example "
            f"registry.map_imperatively({name}, table, version_id_col=table.c.version)"
        )
        raise ConfigurationError(msg)
    keys = mapper.primary_key
    if len(keys) != 1 or mapper.get_property_by_column(keys[0]).key != "id":
        msg = f"{name} must be mapped with a single-column primary key on its `id` attribute"
        raise ConfigurationError(msg)
    version = mapper.version_id_col
    if version is None or mapper.get_property_by_column(version).key != "version":
        msg = (
            f"{name} is mapped without a version column: pass version_id_col=<the column of "
            "its `version` attribute> to the mapping, so that stale writes are refused"
        )
        raise ConfigurationError(msg)
    column_keys = tuple(
        attribute.key for attribute in mapper.column_attrs if attribute.key not in {"id", "version"}
    )
    return MappedAggregate(mapper, keys[0], version, column_keys)
