"""Insights: metrics, reports and benchmarks over the published warehouse tables.

The one library the CLI, the REST API and the dashboard all call. Every function takes a
warehouse :class:`~houselights.warehouse.Session` and either a :class:`Filters` (one
organisation — ``org_id`` is required) or, for benchmarks, a viewer whose grants decide
the cohort. Results are frozen dataclasses with ``to_dict()`` for JSON. Definitions and
the choices made are in ``docs/metrics.md``; metric ids follow ``specs/metrics.md``.

Insights only read published tables; they never write, except :func:`load_onspd`, which
loads a user-supplied ONS Postcode Directory.
"""

from houselights.insights.benchmarks import (
    BENCHMARK_DIMENSIONS,
    BENCHMARK_KPIS,
    BenchmarkCell,
    BenchmarkDistribution,
    BenchmarkKpi,
    BenchmarkKpis,
    benchmark_cohort,
    benchmark_distribution,
    benchmark_kpis,
)
from houselights.insights.filters import Filters
from houselights.insights.geography import (
    GEOGRAPHY_LEVELS,
    GeoCell,
    GeographicDistribution,
    geographic_distribution,
    load_onspd,
    onspd_loaded,
)
from houselights.insights.metrics import (
    BookingsChannels,
    FirstTimerReturn,
    IncomeByKind,
    Lapsed,
    LeadTime,
    Loyalty,
    Reach,
    Retention,
    TicketSales,
    VolumeCapacity,
    bookings_and_channels,
    first_timer_return,
    income_by_kind,
    lapsed,
    lead_time,
    loyalty,
    reach,
    retention,
    ticket_sales,
    volume_and_capacity,
)
from houselights.insights.metrics.catalogue import (
    METRICS,
    MetricDefinition,
    MetricValue,
    compute_metric,
)
from houselights.insights.periods import (
    Basis,
    Period,
    current_financial_year,
    financial_quarters,
    financial_year,
    financial_year_of,
    parse_period,
)
from houselights.insights.reports import (
    EVENT_ID_REPORT_COLUMNS,
    TICKETING_EXPORT_SCHEMA,
    DataQualityReport,
    EventIdReport,
    EventSales,
    InstanceSales,
    QuarterlyActivityReport,
    data_quality_report,
    event_id_report,
    funder_quarterly_report,
    sales_by_event,
    sales_by_instance,
    ticketing_export,
)
from houselights.insights.results import InsightResult
from houselights.insights.suppression import SuppressionPolicy

__all__ = [
    "BENCHMARK_DIMENSIONS",
    "BENCHMARK_KPIS",
    "EVENT_ID_REPORT_COLUMNS",
    "GEOGRAPHY_LEVELS",
    "METRICS",
    "TICKETING_EXPORT_SCHEMA",
    "Basis",
    "BenchmarkCell",
    "BenchmarkDistribution",
    "BenchmarkKpi",
    "BenchmarkKpis",
    "BookingsChannels",
    "DataQualityReport",
    "EventIdReport",
    "EventSales",
    "Filters",
    "FirstTimerReturn",
    "GeoCell",
    "GeographicDistribution",
    "IncomeByKind",
    "InsightResult",
    "InstanceSales",
    "Lapsed",
    "LeadTime",
    "Loyalty",
    "MetricDefinition",
    "MetricValue",
    "Period",
    "QuarterlyActivityReport",
    "Reach",
    "Retention",
    "SuppressionPolicy",
    "TicketSales",
    "VolumeCapacity",
    "benchmark_cohort",
    "benchmark_distribution",
    "benchmark_kpis",
    "bookings_and_channels",
    "compute_metric",
    "current_financial_year",
    "data_quality_report",
    "event_id_report",
    "financial_quarters",
    "financial_year",
    "financial_year_of",
    "first_timer_return",
    "funder_quarterly_report",
    "geographic_distribution",
    "income_by_kind",
    "lapsed",
    "lead_time",
    "load_onspd",
    "loyalty",
    "onspd_loaded",
    "parse_period",
    "reach",
    "retention",
    "sales_by_event",
    "sales_by_instance",
    "ticket_sales",
    "ticketing_export",
    "volume_and_capacity",
]
