"""ONS Postcode Directory enrichment: loading a user's ONSPD file and the finer levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from houselights.errors import InputError
from houselights.insights import (
    Filters,
    financial_year,
    geographic_distribution,
    load_onspd,
    onspd_loaded,
)
from houselights.warehouse import Session

from .dataset import load_alpha, load_beta

ONSPD = """pcd,pcds,dointr,lat,long,oslaua,rgn,lsoa11,lsoa21
NE1 4ST,NE1 4ST,198001,54.97,-1.61,E08000021,E12000001,E01008300,E01033500
NE2 1AB,ne2 1ab,198001,54.98,-1.60,E08000021,E12000001,E01008301,E01033501
M1  1AE,M1 1AE,198001,53.48,-2.24,E08000003,E12000002,E01005000,E01033600
SW1A1AA,SW1A 1AA,198001,51.50,-0.14,E09000033,E12000007,E01004700,E01033700
ZZ9 9ZZ,ZZ9 9ZZ,198001,99.999999,0.000000,,,,
"""


@pytest.fixture
def db(session: Session) -> Session:
    load_alpha(session)
    load_beta(session)
    return session


def test_finer_levels_need_the_onspd(db: Session) -> None:
    assert not onspd_loaded(db)
    with pytest.raises(InputError) as err:
        geographic_distribution(db, Filters("alpha", financial_year(2024)), "local_authority")
    assert "ONS Postcode Directory" in err.value.message and "load_onspd" in err.value.hint


def test_load_onspd_and_group_by_local_authority(db: Session, tmp_path: Path) -> None:
    path = tmp_path / "ONSPD.csv"
    path.write_text(ONSPD, encoding="utf-8")
    assert load_onspd(db, path) == 5
    assert onspd_loaded(db)
    # no grid reference (lat 99.999999) → NULL coordinates; pcds normalised to upper case
    assert db.fetchall("SELECT lat, lon FROM onspd_postcodes WHERE postcode = 'ZZ9 9ZZ'") == [
        (None, None)
    ]
    assert db.scalar("SELECT lsoa FROM onspd_postcodes WHERE postcode = 'NE2 1AB'") == (
        "E01033501"  # lsoa21 preferred over lsoa11
    )
    flt = Filters("alpha", financial_year(2024))
    la = {
        c.label: (c.bookers, c.tickets)
        for c in geographic_distribution(db, flt, "local_authority").cells
    }
    # C1 + C6 Newcastle (E08000021), C2 Manchester, C3 Westminster, C4 + anonymous unknown
    assert la == {"E08000021": (2, 4), "E08000003": (1, 2), "E09000033": (1, 1), "unknown": (1, 3)}
    lsoa = geographic_distribution(db, flt, "lsoa")
    assert len(lsoa.cells) == 5
    # loading again replaces, not appends
    assert load_onspd(db, path) == 5
    assert db.scalar("SELECT COUNT(*) FROM onspd_postcodes") == 5


def test_load_onspd_errors(db: Session, tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        load_onspd(db, tmp_path / "nope.csv")
    assert "does not exist" in missing.value.message
    bad = tmp_path / "bad.csv"
    bad.write_text("pcds,lat\nNE1 4ST,54.9\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_onspd(db, bad)
    assert "long" in err.value.message and "oslaua" in err.value.message


def test_unknown_level(db: Session) -> None:
    with pytest.raises(InputError):
        geographic_distribution(db, Filters("alpha", financial_year(2024)), "planet")  # type: ignore[arg-type]
