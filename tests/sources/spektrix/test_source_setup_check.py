"""check-setup catches every setup variation of the simulator, with the right fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_kit import ORG, connect, make_hl, running, sim_config

from houselights.services.connections import check_setup
from houselights.sources.spektrix.setup_rules import display_name
from houselights.sources.spektrix.simulator import (
    SETUP_VARIATIONS,
    SetupVariations,
    apply_variation,
)

# variation → (step, status, words in the detail, words in the fix)
CAUGHT = {
    "product-type-misspelt": (
        "product_type_attribute",
        "fail",
        '"AS Product type"',
        'rename it to exactly "AS Product Type"',
    ),
    "supplementary-misspelt": (
        "supplementary_attribute",
        "fail",
        '"AS Supplementary event"',
        'rename it to exactly "AS Supplementary Event"',
    ),
    "product-type-trailing-space": (
        "product_type_attribute",
        "fail",
        "'Fee ' has spaces before or after → rename to 'Fee'",
        "exactly 'Product' and 'Fee'",
    ),
    "fee-without-value": ("fee_items", "warn", "'Exchange Fee'", 'set "AS Product Type" to Fee'),
    "no-venue-addresses": (
        "venue_addresses",
        "warn",
        "5 venue(s) without an address",
        "Seating → Venues, add an address",
    ),
    "report-user-without-collect-role": (
        "audit_report",
        "fail",
        "lacks the Collect Report role",
        "Roles: add 'Collect report'",
    ),
    "api-user-not-system-owner": (
        "system_owner",
        "fail",
        "lacks System Owner rights",
        "System Owner access",
    ),
    "partner-access-off": (
        "partner_access",
        "fail",
        "withdrawn",
        "switch partner data access back on",
    ),
}


def test_every_variation_has_an_expectation() -> None:
    assert set(CAUGHT) == set(SETUP_VARIATIONS)


@pytest.mark.parametrize("variation", sorted(SETUP_VARIATIONS))
def test_variation_is_caught_with_its_fix(tmp_path: Path, variation: str) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    variations = apply_variation(SetupVariations(), variation)
    with running(sim_config(tickets=500, variations=variations)) as sim:
        connect(hl, sim)
        result = check_setup(hl, ORG)
    key, status, detail, fix = CAUGHT[variation]
    step = result.step(key)
    assert step.status == status, step
    assert detail in step.detail and fix in step.fix
    assert result.ok is (status != "fail")
    # Nothing else is wrong with the simulated setup.
    others = {s.key for s in result.steps if s.status in ("warn", "fail")} - {key}
    assert others <= {"order_ids", "venue_addresses", "fee_items", "clock"}
    hl.close()


def test_clean_setup_and_the_json_shape(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=500)) as sim:
        connect(hl, sim)
        result = check_setup(hl, ORG)
    assert result.ok
    marks = {s.key: s.mark for s in result.steps}
    assert marks["api_user"] == marks["system_owner"] == marks["audit_report"] == "✓"
    assert marks["order_ids"] == "⚠"  # not backfilled yet
    assert marks["venue_addresses"] == "⚠"  # the simulator's address-less Festival Garden
    data = result.to_dict()
    assert data["ok"] is True and len(data["steps"]) == 12
    assert {"key", "title", "guide", "status", "detail", "fix", "mark"} <= set(data["steps"][0])
    hl.close()


def test_skewed_clock_fails_the_api_and_clock_steps(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=500)) as sim:
        connect(hl, sim)
        sim.faults.clock_offset_seconds = 1_800.0
        result = check_setup(hl, ORG)
    assert result.step("api_user").status == "fail"
    assert "Spektrix's clock said" in result.step("api_user").detail
    assert result.step("clock").status == "fail" and "NTP" in result.step("clock").fix
    assert result.step("supplementary_attribute").status == "skip"
    hl.close()


def test_wrong_report_name_and_production_field(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=500)) as sim:
        connect(hl, sim)
        with hl.warehouse.connect() as s, s.transaction():
            settings = s.scalar("SELECT settings FROM connections WHERE org_id = ?", [ORG])
            s.execute(
                "UPDATE connections SET settings = ? WHERE org_id = ?",
                [
                    settings.replace('"attribute_Series"', '"attribute_Season"').replace(
                        "Activity Stream - customer audit report", "Audit"
                    ),
                    ORG,
                ],
            )
        result = check_setup(hl, ORG)
    fields = result.step("production_fields")
    assert fields.status == "fail" and "'attribute_Season' is on no event" in fields.detail
    assert "attribute_Series" in fields.fix  # the fields that do exist are listed
    report = result.step("audit_report")
    assert report.status == "warn" and "--audit-report" in report.fix
    hl.close()


def test_display_name_puts_spaces_back() -> None:
    assert display_name("attribute_ASProducttype", "AS Product Type") == "AS Product type"
    assert display_name("attribute_Other", "AS Product Type") == "Other"
