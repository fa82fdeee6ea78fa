"""The message type registry: registered name <-> class, and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tactica.domain.naming import message_aliases, message_name, message_version
from tactica.errors import DuplicateMessageTypeError, UnknownMessageTypeError

__all__ = ["TypeRegistry"]


class TypeRegistry:
    """Maps registered message names (and aliases of renamed classes) to classes.

    Build one in your composition root from the classes your application reads and writes.
    Stored data and broker messages name their type; the name is only ever looked up here,
    so data can never make tactica import a module or instantiate an arbitrary class.

    Examples:
        >>> from tactica import TypeRegistry
        >>> from tactica.dataclasses import DomainEvent
        >>> class CartEmptied(DomainEvent, name="carts.emptied", aliases=("CartCleared",)):
        ...     cart_id: str
        >>> registry = TypeRegistry([CartEmptied])
        >>> registry.resolve("CartCleared") is CartEmptied
        True
    """

    __slots__ = ("_by_name", "_types")

    def __init__(self, types: Iterable[type] = ()) -> None:
        """Create a registry holding `types`."""
        self._by_name: dict[str, type] = {}
        self._types: dict[type, str] = {}
        self.register(*types)

    def register(self, *types: type) -> None:
        """Add classes under their registered names and aliases.

        Registering a class again is a no-op. Raises `DuplicateMessageTypeError` when a
        name or alias is already taken by a different class, before changing anything.
        """
        claims: dict[str, type] = {}
        for cls in types:
            if cls in self._types:
                continue
            for name in (message_name(cls), *message_aliases(cls)):
                owner = self._by_name.get(name) or claims.get(name)
                if owner is not None and owner is not cls:
                    msg = (
                        f"the message name {name!r} is claimed by both "
                        f"{owner.__module__}.{owner.__qualname__} and "
                        f"{cls.__module__}.{cls.__qualname__}; give one of them an explicit "
                        "name=... in its class statement"
                    )
                    raise DuplicateMessageTypeError(msg)
                claims[name] = cls
        for name, cls in claims.items():
            self._by_name[name] = cls
            self._types[cls] = message_name(cls)

    def register_subclasses(self, base: type) -> None:
        """Add every subclass of `base` defined so far, recursively (not `base` itself).

        Convenient for an aggregate's family of events declared under a common base class.
        """
        found: list[type] = []
        pending: list[type] = list(base.__subclasses__())
        while pending:
            cls = pending.pop()
            found.append(cls)
            pending.extend(cls.__subclasses__())
        self.register(*sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__)))

    def resolve(self, name: str) -> type:
        """Return the class registered under `name` (or an alias).

        Raises `UnknownMessageTypeError` for any other name, including dotted paths to real
        modules: resolution never imports.
        """
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownMessageTypeError(str(name), len(self._by_name)) from None

    def name_of(self, cls: type) -> str:
        """Return the registered name of `cls`; raises `UnknownMessageTypeError` if absent."""
        try:
            return self._types[cls]
        except KeyError:
            raise UnknownMessageTypeError(message_name(cls), len(self._by_name)) from None

    def version_of(self, cls: type) -> int:
        """Return the schema version declared by `cls` (1 unless declared)."""
        return message_version(cls)

    def __contains__(self, item: object) -> bool:
        """Whether a name, alias or class is registered."""
        if isinstance(item, type):
            return item in self._types
        return isinstance(item, str) and item in self._by_name

    def __iter__(self) -> Iterator[type]:
        """Iterate over the registered classes."""
        return iter(self._types)

    def __len__(self) -> int:
        """Return how many classes are registered."""
        return len(self._types)

    def __repr__(self) -> str:
        """Show how many classes and names are registered."""
        return f"TypeRegistry(<{len(self._types)} types, {len(self._by_name)} names>)"
