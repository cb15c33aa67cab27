"""The dashboard's assets are vendored, recorded and served from the package only."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import houselights.web

WEB = Path(houselights.web.__file__).parent
VENDOR = WEB / "static" / "vendor"


def test_vendored_files_match_their_recorded_checksums() -> None:
    table = (VENDOR / "VENDOR.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"\| `([\w.-]+\.js)` \| ([\w-]+) \| ([\d.]+) \|.*\| `([0-9a-f]{64})` \|", table
    )
    assert {r[0] for r in rows} == {
        "vega.min.js",
        "vega-lite.min.js",
        "vega-embed.min.js",
        "axe.min.js",
    }
    for name, package, _version, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        licence = (VENDOR / f"LICENSE-{package}.txt").read_text()
        first_words = "Mozilla Public License" if package == "axe-core" else "Copyright"
        assert licence.startswith(first_words), package


def test_axe_is_only_for_the_tests() -> None:
    for template in (WEB / "templates").glob("*.html"):
        assert "axe" not in template.read_text(encoding="utf-8"), template.name


def test_pages_reference_nothing_outside_the_server() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), template.name
    script = (WEB / "static" / "dashboard.js").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'`]+", script))
    # Only Vega-Lite's schema id, which vega-embed reads as a name and never fetches.
    assert urls == {"https://vega.github.io/schema/vega-lite/v5.json"}
    assert ".innerHTML" not in script  # data is inserted as text only
