"""``check-setup``: every step of the Activity Stream × Spektrix integration guide, verified.

Each :class:`SetupStep` is ✓ (``ok``), ⚠ (``warn``), ✗ (``fail``) or – (``skip``: not
checkable because an earlier step failed), with the exact fix. The result is plain data
(:meth:`SetupCheckResult.to_dict`) so the CLI and the API show the same thing.

Steps (guide section in brackets): API user and System Owner rights (step 1), partner
access, clock, Customer Audit report collectable and parsable (steps 2–3), historical
order IDs loaded (step 4), production fields (step 5), the orders feed, "AS Supplementary
Event" and "AS Product Type" exactly as written with near misses named (optional 1–2),
fee-like merchandise without the Fee value, venue addresses (optional 3).
"""

from __future__ import annotations

from dataclasses import replace

from houselights.errors import AccessWithdrawnError, HouselightsError, SourceError
from houselights.sources.kit.setup import SetupStep, StepStatus

from . import setup_rules as rules
from .client import SpektrixClient
from .reports import AuditReport
from .settings import SpektrixSettings
from .streams import fetch_audit, fetch_catalogue

__all__ = ["run_setup_check"]


def _step(key: str, status: StepStatus, detail: str, fix: str = "") -> SetupStep:
    title, guide = rules.TITLES[key]
    return SetupStep(key, title, guide, status, detail, fix)


async def run_setup_check(settings: SpektrixSettings, *, backfill_done: bool) -> list[SetupStep]:
    """The steps, in guide order (API reachable first: most steps need it)."""
    base = settings.http_options()
    options = replace(base, retries=min(base.retries, 2), timeout=15.0)
    steps: list[SetupStep] = []
    async with SpektrixClient(settings, options=options) as client:
        api = await _api_steps(client)
        steps.extend(api)
        api_ok = all(s.status == "ok" for s in api if s.key in ("api_user", "partner_access"))
        steps.append(_clock_step(client, api))
        steps.append(await _audit_step(client, settings))
        steps.append(
            _step(
                "order_ids",
                "ok" if backfill_done else "warn",
                "The historical orders were loaded."
                if backfill_done
                else "The historical orders have not been loaded yet.",
                ""
                if backfill_done
                else "Run `houselights sync SLUG --backfill ORDER_ID_FILE` with the "
                "one-off export of historical order IDs.",
            )
        )
        if not api_ok:
            why = (
                "partner access is off"
                if any(s.key == "partner_access" and s.status == "fail" for s in api)
                else "the API user step failed"
            )
            steps.extend(_step(k, "skip", f"Not checked: {why}.") for k in rules.CATALOGUE_STEPS)
            return steps
        try:
            lists = await fetch_catalogue(client)
        except HouselightsError as exc:
            steps.extend(
                _step(k, "fail", f"The catalogue could not be read: {exc.message}", exc.hint)
                for k in rules.CATALOGUE_STEPS
            )
            return steps
        feed_step = await _feed_step(client, api)
    steps.append(rules.production_fields(lists["events"], settings.fields, _step))
    steps.append(feed_step)
    steps.append(rules.supplementary_attribute(lists["instances"], _step))
    steps.append(rules.product_type_attribute(lists["stock_items"], _step))
    steps.append(rules.fee_items(lists["stock_items"], _step))
    steps.append(rules.venue_addresses(lists["venues"], _step))
    return steps


async def _api_steps(client: SpektrixClient) -> list[SetupStep]:
    creds = client.settings
    try:
        await client.get_json("events", {"page": 1, "pageSize": 1})
    except AccessWithdrawnError as exc:
        return [
            _step("api_user", "ok", f"API user '{creds.api_login}' signs correctly."),
            _step("system_owner", "skip", "Not checked: partner access is off."),
            _step(
                "partner_access",
                "fail",
                exc.message,
                "Ask the organisation to switch partner data access back on in "
                "Spektrix; syncing stays paused until then.",
            ),
        ]
    except SourceError as exc:
        return [
            _step("api_user", "fail", exc.message, exc.hint),
            _step("system_owner", "skip", "Not checked: the API user step failed."),
            _step("partner_access", "skip", "Not checked: the API user step failed."),
        ]
    steps = [
        _step(
            "api_user",
            "ok",
            f"API user '{creds.api_login}' signs correctly for client '{creds.client}'.",
        ),
        _step("partner_access", "ok", "Partner access to the organisation's data is on."),
    ]
    try:
        await client.get_json("customers/I-0000-0000", missing_ok=True)
    except SourceError as exc:
        steps.insert(1, _step("system_owner", "fail", exc.message, exc.hint))
    else:
        steps.insert(
            1,
            _step(
                "system_owner",
                "ok",
                "The API user has System Owner rights (customers and orders are readable).",
            ),
        )
    return steps


async def _feed_step(client: SpektrixClient, api: list[SetupStep]) -> SetupStep:
    if any(s.key == "system_owner" and s.status != "ok" for s in api):
        return _step("orders_feed", "skip", "Not checked: the API user lacks System Owner rights.")
    try:
        feed = await client.get_json(
            "orders/sync", {"since": "2000-01-01T00:00:00", "limit": 1}, missing_ok=True
        )
    except HouselightsError as exc:
        return _step("orders_feed", "fail", exc.message, exc.hint)
    if feed is None:
        return _step(
            "orders_feed",
            "warn",
            "The orders/sync feed is not enabled (404); syncs "
            "read orders in 4-day date windows instead (slower).",
            "Ask Spektrix to enable orders/sync (an early-access feature).",
        )
    return _step("orders_feed", "ok", "The orders/sync feed answers.")


def _clock_step(client: SpektrixClient, api: list[SetupStep]) -> SetupStep:
    expired = any("outside the window" in s.detail for s in api)
    gap = client.clock_difference()
    if gap is None:
        return _step("clock", "skip", "Not checked: Spektrix sent no Date header.")
    text = (
        f"This machine's clock is {abs(gap):,.0f} s "
        f"{'ahead of' if gap > 0 else 'behind'} Spektrix's."
    )
    if expired or abs(gap) > rules.CLOCK_FAIL_SECONDS:
        return _step(
            "clock",
            "fail",
            text,
            "Synchronise this machine's clock (NTP): signed "
            "requests are refused when the clocks differ by minutes.",
        )
    if abs(gap) > rules.CLOCK_WARN_SECONDS:
        return _step(
            "clock",
            "warn",
            text,
            "Synchronise this machine's clock (NTP) before "
            "the gap grows: Spektrix refuses requests beyond a few minutes.",
        )
    return _step("clock", "ok", text)


async def _audit_step(client: SpektrixClient, settings: SpektrixSettings) -> SetupStep:
    url = settings.audit_url
    if not settings.report_user:
        return _step(
            "audit_report",
            "fail",
            "No Customer Audit report link or reporting user is configured.",
            "Reconnect with --report-user, --report-password-file "
            "and --audit-report (guide steps 2–3).",
        )
    try:
        report: AuditReport = await fetch_audit(client, url, None)
    except HouselightsError as exc:
        return _step("audit_report", "fail", exc.message, exc.hint)
    detail = (
        f"Collected as '{settings.report_user}': {len(report.rows):,} rows "
        f"from {report.start or '?'} to {report.end or '?'}."
    )
    if (
        settings.audit_report
        and report.name
        and report.name.strip() != settings.audit_report.strip()
    ):
        return _step(
            "audit_report",
            "warn",
            detail + f" The report is called '{report.name}', not '{settings.audit_report}'.",
            f'Reconnect with --audit-report "{report.name}", or rename the report '
            f'in Spektrix to "{settings.audit_report}".',
        )
    return _step("audit_report", "ok", detail)
