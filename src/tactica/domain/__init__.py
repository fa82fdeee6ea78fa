"""The pure domain core: ids, message context, naming, identity and specifications.

Nothing here does I/O or imports anything of tactica but `tactica.errors`; the flavours
(`tactica.dataclasses`, `tactica.pydantic`) build their public classes on top of it.
"""
