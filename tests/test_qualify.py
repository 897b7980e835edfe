import numpy as np
import pandas as pd
import pytest

from sla_model.agreement.qualify import QUALIFY_COLUMNS, engaged_mask, fit_mask, mql_mask
from sla_model.agreement.sla import MqlDefinition
from tests.factories import leads_frame, make_lead, make_sla


def _definition(**fields) -> MqlDefinition:
    return MqlDefinition.model_validate({"score_threshold": 50} | fields)


@pytest.mark.parametrize(
    ("fit", "lead", "expected"),
    [
        ({"min_company_size": 20}, {"company_size": 20}, True),  # on the edge
        ({"min_company_size": 20}, {"company_size": 19}, False),
        ({"min_company_size": 0}, {"company_size": 0}, True),
        ({"personas": []}, {"persona": "Developer"}, True),  # empty list = any persona
        ({"personas": ["IT Director", "Finance Lead"]}, {"persona": "Finance Lead"}, True),
        ({"personas": ["IT Director", "Finance Lead"]}, {"persona": "Developer"}, False),
        ({"personas": ["IT Director"]}, {"persona": "it director"}, False),  # case matters
        ({"personas": ["IT Director"]}, {"persona": None}, False),
        ({"countries": ["Côte d'Ivoire", "日本"]}, {"country": "日本"}, True),
        ({"countries": ["Côte d'Ivoire", "日本"]}, {"country": "Cote d'Ivoire"}, False),
        ({"countries": ["Germany"], "min_company_size": 50}, {"country": "Germany", "company_size": 49}, False),
    ],
)
def test_fit_mask(fit, lead, expected):
    leads = leads_frame(make_lead("L1", **lead))
    assert fit_mask(leads, _definition(fit=fit)).tolist() == [expected]


@pytest.mark.parametrize(
    ("threshold", "triggers", "lead", "expected"),
    [
        (50, {}, {"score": 50}, True),  # on the threshold
        (50, {}, {"score": 49}, False),
        (0, {}, {"score": 0}, True),
        (100, {}, {"score": 100}, True),
        (50, {"demo_request": True}, {"score": 0, "demo_request": True}, True),
        (50, {"demo_request": False}, {"score": 0, "demo_request": True}, False),  # trigger off
        (50, {"min_page_views": 10}, {"page_views": 10}, True),
        (50, {"min_page_views": 10}, {"page_views": 9}, False),
        (50, {"min_page_views": 0}, {"page_views": 1000}, False),  # 0 = trigger off
        (50, {"min_form_submissions": 2}, {"form_submissions": 2}, True),
        (50, {"min_form_submissions": 2}, {"form_submissions": 1}, False),
    ],
)
def test_engaged_mask(threshold, triggers, lead, expected):
    leads = leads_frame(make_lead("L1", **lead))
    definition = _definition(score_threshold=threshold, triggers=triggers)
    assert engaged_mask(leads, definition).tolist() == [expected]


def test_mql_needs_fit_and_engagement():
    definition = make_sla().mql  # v1: threshold 50, company size >= 20, demo requests trigger
    leads = leads_frame(
        make_lead("fits-scores", company_size=20, score=50),
        make_lead("fits-demo", company_size=500, score=3, demo_request=True),
        make_lead("fits-cold", company_size=500, score=49),
        make_lead("small-hot", company_size=19, score=99, demo_request=True),
        make_lead("ünïcode", company_size=25, score=80, persona="Directrice Générale 🚀", country="Česko"),
    )
    assert mql_mask(leads, definition).tolist() == [True, True, False, False, True]


def test_v2_definition_drops_developers_and_small_companies():
    definition = make_sla(mql={"score_threshold": 55, "fit": {"personas": ["IT Director"], "min_company_size": 50}}).mql
    leads = leads_frame(
        make_lead("ok", persona="IT Director", company_size=50, score=55),
        make_lead("dev", persona="Developer", company_size=500, score=90),
        make_lead("small", persona="IT Director", company_size=49, score=90),
        make_lead("score-54", persona="IT Director", company_size=500, score=54),
    )
    assert mql_mask(leads, definition).tolist() == [True, False, False, False]


def test_empty_frame():
    assert mql_mask(leads_frame(), make_sla().mql).tolist() == []


def test_missing_values_in_an_untyped_frame_do_not_qualify():
    # An object frame with gaps (e.g. a raw import): a missing score never reaches even a threshold of 0,
    # a missing company size counts as 0, a missing demo request as "no".
    leads = pd.DataFrame(
        {
            "score": [None, 10, 10],
            "persona": ["A", None, "A"],
            "company_size": [100, None, 100],
            "country": ["US", "US", None],
            "demo_request": [False, True, None],
            "page_views": [0, 0, None],
            "form_submissions": [0, 0, None],
        },
        dtype=object,
    )
    assert set(leads.columns) == set(QUALIFY_COLUMNS)
    assert engaged_mask(leads, _definition(score_threshold=0)).tolist() == [False, True, True]
    assert engaged_mask(leads, _definition(score_threshold=50, triggers={"demo_request": True})).tolist() == [
        False,
        True,
        False,
    ]
    assert fit_mask(leads, _definition(fit={"min_company_size": 1})).tolist() == [True, False, True]
    assert fit_mask(leads, _definition()).tolist() == [True, True, True]


def test_masks_are_numpy_bool_arrays():
    mask = mql_mask(leads_frame(make_lead("L1", score=70)), make_sla().mql)
    assert isinstance(mask, np.ndarray)
    assert mask.dtype == bool
