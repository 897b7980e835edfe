import pytest

from sla_model.metrics.filters import filter_leads, touches_of
from tests.factories import leads_frame, make_lead, make_touch, touches_frame

EVENTS = "Événements 🎪"


def _leads():
    return leads_frame(
        make_lead("L1", channel="Email", persona="IT Director", owner="Grace Kim"),
        make_lead("L2", channel="Email", persona="Finance Lead", owner=None),
        make_lead("L3", channel="Webinar", persona="IT Director", owner="Zoë Ångström"),
        make_lead("L4", channel=EVENTS, persona="Directrice Générale", owner="Zoë Ångström"),
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["L1", "L2", "L3", "L4"]),  # no filter: everything
        ({"channels": [], "personas": [], "owners": []}, ["L1", "L2", "L3", "L4"]),  # empty filters admit all
        ({"channels": ["Email"]}, ["L1", "L2"]),
        ({"channels": ["Email", "Webinar"]}, ["L1", "L2", "L3"]),
        ({"channels": [EVENTS]}, ["L4"]),  # unicode
        ({"channels": ["TikTok"]}, []),  # a value nobody has
        ({"personas": ["IT Director"]}, ["L1", "L3"]),
        ({"owners": ["Zoë Ångström"]}, ["L3", "L4"]),
        ({"owners": ["Zoe Angstrom"]}, []),  # no accent folding
        ({"owners": ["Grace Kim", "Zoë Ångström"]}, ["L1", "L3", "L4"]),  # an unowned lead never matches
        ({"channels": ["Email"], "personas": ["IT Director"]}, ["L1"]),  # filters combine with AND
        ({"channels": ["Email"], "owners": ["Zoë Ångström"]}, []),
        ({"channels": (c for c in ["Webinar"])}, ["L3"]),  # any iterable, even a generator
    ],
)
def test_filter_leads(filters, expected):
    assert filter_leads(_leads(), **filters)["lead_id"].tolist() == expected


def test_filter_keeps_the_original_index():
    assert filter_leads(_leads(), personas=["IT Director"]).index.tolist() == [0, 2]


def test_no_filter_returns_the_frame_itself():
    leads = _leads()
    assert filter_leads(leads) is leads
    assert filter_leads(leads, channels=["Email", "Webinar", EVENTS]) is leads  # everything matches


def test_filter_empty_frame():
    assert filter_leads(leads_frame(), channels=["Email"]).empty


def test_touches_of():
    touches = touches_frame(
        make_touch("L1", "2026-11-02 10:00"),
        make_touch("L3", "2026-11-02 11:00"),
        make_touch("L1", "2026-11-03 10:00"),
        make_touch("GHOST", "2026-11-03 10:00"),
    )
    email = filter_leads(_leads(), channels=["Email"])
    assert touches_of(touches, email).index.tolist() == [0, 2]
    assert touches_of(touches, leads_frame()).empty
    assert touches_of(touches_frame(), email).empty
