"""What the data carries: lead fields empty in every row, and whether any touch is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from sla_model.metrics.coverage import COVERAGE_FIELDS, empty_fields, has_touches
from tests.factories import leads_frame, make_lead, make_touch, touches_frame


def test_fields_at_their_default_in_every_lead_are_empty():
    leads = leads_frame(
        make_lead("a", score=0, owner="Ana Souza", campaign=""),
        make_lead("b", score=0, campaign="", page_views=3, demo_request=True, amount=9_000.0),
    )
    # The factory's defaults: persona, company size, country, industry and channel are filled in;
    # nobody has a score or a form submission, and no lead has a campaign.
    assert empty_fields(leads) == ["score", "campaign", "form_submissions"]


def test_a_single_value_anywhere_makes_a_field_present():
    leads = leads_frame(make_lead("a"), make_lead("b", score=1, form_submissions=1, campaign="Spring"))
    assert "score" not in empty_fields(leads)
    assert "form_submissions" not in empty_fields(leads)
    assert "campaign" not in empty_fields(leads)


def test_missing_text_and_whitespace_count_as_empty():
    leads = leads_frame(make_lead("a", persona=None, country=None), make_lead("b", persona=None, country=None))
    assert {"persona", "country"} <= set(empty_fields(leads))
    leads = leads_frame(make_lead("a", campaign="  "))
    assert "campaign" in empty_fields(leads)


def test_a_field_the_frame_lacks_is_empty_and_no_leads_means_nothing_to_say():
    leads = leads_frame(make_lead("a", score=50)).drop(columns=["score", "persona"])
    assert {"score", "persona"} <= set(empty_fields(leads))
    assert empty_fields(leads_frame()) == []


def test_asking_for_some_fields_only():
    leads = leads_frame(make_lead("a"))
    assert empty_fields(leads, ("score", "persona")) == ["score"]
    assert set(empty_fields(leads)) <= set(COVERAGE_FIELDS)
    with pytest.raises(ValueError, match="unknown field"):
        empty_fields(leads, ("shoe_size",))


def test_amount_missing_everywhere_is_empty():
    leads = leads_frame(make_lead("a", amount=np.nan))
    assert "amount" in empty_fields(leads)


@pytest.mark.parametrize(
    ("touches", "expected"), [(touches_frame(), False), (touches_frame(make_touch("a", "2026-10-01")), True)]
)
def test_has_touches(touches, expected):
    assert has_touches(touches) is expected
