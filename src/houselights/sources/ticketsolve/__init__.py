"""Ticketsolve: the public XML catalogue feed (:mod:`.feed`) and a simulator (:mod:`.simulator`).

Ticketsolve's only documented public surface is an XML catalogue feed; sales and
customers reach a platform through report exports (no public sales API exists). See
``specs/ticketsolve.md`` and ``docs/simulator-ticketsolve.md``.
"""
