"""Standard metrics (specs/metrics.md ids), computed in families that share one query.

=====================  ==============================================================
family                 metrics
=====================  ==============================================================
volume_and_capacity    M01–M04, M06–M09, M11, M12 (performance basis only)
ticket_sales           M02–M04, M09, M10, M10b, M13–M15, M20
income_by_kind         income of tickets, supplementary, products, fees, donations,
                       memberships (transaction basis by default)
bookings_and_channels  M16–M18
lead_time              M19
reach                  M20–M22
loyalty                M24–M26, M30–M32, M34, M40
retention              M33
first_timer_return     M35
lapsed                 M36
=====================  ==============================================================

Geography (M43) is in :mod:`houselights.insights.geography`.
"""

from houselights.insights.metrics.bookings import (
    CHANNELS,
    LEAD_TIME_BUCKETS,
    BookingsChannels,
    ChannelShare,
    LeadTime,
    LeadTimeBucket,
    bookings_and_channels,
    lead_time,
)
from houselights.insights.metrics.income import (
    LINE_KINDS,
    IncomeByKind,
    KindIncome,
    TicketSales,
    income_by_kind,
    ticket_sales,
)
from houselights.insights.metrics.loyalty import (
    FREQUENCY_BANDS,
    FirstTimerReturn,
    FrequencyBand,
    Lapsed,
    LapsedThreshold,
    Loyalty,
    Retention,
    ReturnWindow,
    first_timer_return,
    lapsed,
    loyalty,
    retention,
)
from houselights.insights.metrics.reach import Reach, reach
from houselights.insights.metrics.volume import VolumeCapacity, volume_and_capacity

__all__ = [
    "CHANNELS",
    "FREQUENCY_BANDS",
    "LEAD_TIME_BUCKETS",
    "LINE_KINDS",
    "BookingsChannels",
    "ChannelShare",
    "FirstTimerReturn",
    "FrequencyBand",
    "IncomeByKind",
    "KindIncome",
    "Lapsed",
    "LapsedThreshold",
    "LeadTime",
    "LeadTimeBucket",
    "Loyalty",
    "Reach",
    "Retention",
    "ReturnWindow",
    "TicketSales",
    "VolumeCapacity",
    "bookings_and_channels",
    "first_timer_return",
    "income_by_kind",
    "lapsed",
    "lead_time",
    "loyalty",
    "reach",
    "retention",
    "ticket_sales",
    "volume_and_capacity",
]
