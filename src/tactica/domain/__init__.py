"""The pure domain core: ids, message context, naming, identity, specifications, deciders.

Nothing here does I/O or imports anything of tactica but `tactica.errors`; the flavours
(`tactica.dataclasses`, `tactica.pydantic`) build their public classes on top of it, among
them `EventSourcedAggregate`, whose mechanics live in `tactica.domain.eventsourced`, and
`Command` and `Query`, which derive from the request markers in `tactica.domain.request`.
"""
