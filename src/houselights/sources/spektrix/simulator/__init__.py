"""A local Spektrix API v3 lookalike for tests, demos and integrators.

Same URLs, signing, payload shapes, paging and quirks as far as public facts go
(``specs/spektrix.md``); where real behaviour is unknown the choice is labelled
*invented* here and in ``README.md`` beside this file.

Start it from Python::

    from houselights.sources.spektrix.simulator import SpektrixSimulator, SimulatorConfig

    with SpektrixSimulator(SimulatorConfig()).running() as sim:
        print(sim.credentials())

or from the shell with ``houselights simulate spektrix``.
"""

from __future__ import annotations

from .config import (
    PAYLOAD_VARIATIONS,
    SCALE_PRESETS,
    SETUP_VARIATIONS,
    VARIATIONS,
    ClientConfig,
    PayloadVariations,
    ScaleConfig,
    SetupVariations,
    SimulatorConfig,
    apply_variation,
    parse_scale,
    variations_from,
)
from .data import ClientDataset, SpektrixTruth
from .faults import FaultConfig, FaultController, FaultKind, FaultRule
from .imported import ImportedCatalogue, imported_programme, load_catalogue, suggest_start
from .runtime import SpektrixSimulator

__all__ = [
    "PAYLOAD_VARIATIONS",
    "SCALE_PRESETS",
    "SETUP_VARIATIONS",
    "VARIATIONS",
    "ClientConfig",
    "ClientDataset",
    "FaultConfig",
    "FaultController",
    "FaultKind",
    "FaultRule",
    "ImportedCatalogue",
    "PayloadVariations",
    "ScaleConfig",
    "SetupVariations",
    "SimulatorConfig",
    "SpektrixSimulator",
    "SpektrixTruth",
    "apply_variation",
    "imported_programme",
    "load_catalogue",
    "parse_scale",
    "suggest_start",
    "variations_from",
]
