"""A local Ticketsolve lookalike: the XML catalogue feed, report exports, faults.

Serves ``/<client>/shows.xml`` and ``/<client>/shows/<showId>/events/<eventId>.xml``
in the documented shapes (``specs/ticketsolve.md`` §2) and writes the sales and customer
report exports an organisation would download (their layout is not public: invented
and labelled). Where real behaviour is unknown the choice is labelled **[invented]**
here and in ``README.md`` beside this file.

Start it from Python::

    from houselights.sources.ticketsolve.simulator import TicketsolveSimulator

    with TicketsolveSimulator().running() as sim:
        print(sim.shows_url("demo"))

or from the shell with ``houselights simulate ticketsolve``.
"""

from __future__ import annotations

from .config import (
    DEFAULT_START,
    SCALE_PRESETS,
    ActivityConfig,
    ClientConfig,
    FeedStyle,
    ScaleConfig,
    SimulatorConfig,
    parse_scale,
)
from .data import AdvanceResult, ClientDataset
from .exports import CUSTOMER_EXPORT_COLUMNS, SALES_EXPORT_COLUMNS, ExportPeriod
from .faults import FaultConfig, FaultController, FaultKind, FaultRule
from .places import ORGANISATIONS
from .runtime import RequestRecord, TicketsolveSimulator
from .truth import (
    CustomerTruth,
    PerformanceTruth,
    PriceTruth,
    SaleTruth,
    ShowTruth,
    TicketsolveTruth,
    VenueTruth,
)

__all__ = [
    "CUSTOMER_EXPORT_COLUMNS",
    "DEFAULT_START",
    "ORGANISATIONS",
    "SALES_EXPORT_COLUMNS",
    "SCALE_PRESETS",
    "ActivityConfig",
    "AdvanceResult",
    "ClientConfig",
    "ClientDataset",
    "CustomerTruth",
    "ExportPeriod",
    "FaultConfig",
    "FaultController",
    "FaultKind",
    "FaultRule",
    "FeedStyle",
    "PerformanceTruth",
    "PriceTruth",
    "RequestRecord",
    "SaleTruth",
    "ScaleConfig",
    "ShowTruth",
    "SimulatorConfig",
    "TicketsolveSimulator",
    "TicketsolveTruth",
    "VenueTruth",
    "parse_scale",
]
