"""The sample data written as a HubSpot contacts export and a Salesforce leads report (for round-trip tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _stamp(col: pd.Series, fmt: str) -> pd.Series:
    return col.dt.strftime(fmt).fillna("")


def to_hubspot(leads: pd.DataFrame) -> bytes:
    """HubSpot's labels, its lifecycle stage names and ``YYYY-MM-DD HH:MM:SS`` times, UTF-8 with a BOM."""
    stage = np.select(
        [leads["won_at"].notna(), leads["opportunity_at"].notna(), leads["sql_at"].notna(),
         leads["accepted_at"].notna(), leads["mql_at"].notna()],
        ["customer", "opportunity", "salesqualifiedlead", "Sales Accepted Lead", "marketingqualifiedlead"],
        "lead",
    )  # fmt: skip
    status = np.select(
        [leads["recycled_at"].notna(), leads["rejected_at"].notna()], ["Bad Timing", "Unqualified"], "Open"
    )
    t = "%Y-%m-%d %H:%M:%S"
    frame = pd.DataFrame(
        {
            "Record ID": leads["lead_id"], "First Name": leads["first_name"], "Last Name": leads["last_name"],
            "Email": leads["email"], "Company Name": leads["company"], "Contact owner": leads["owner"],
            "Create Date": _stamp(leads["created_at"], t), "Original Source": leads["channel"],
            "First Conversion": leads["campaign"], "Persona": leads["persona"], "Industry": leads["industry"],
            "Country/Region": leads["country"], "Number of Employees": leads["company_size"],
            "HubSpot Score": leads["score"], "Number of Pageviews": leads["page_views"],
            "Number of Form Submissions": leads["form_submissions"], "Lifecycle Stage": stage, "Lead Status": status,
            "Became a Marketing Qualified Lead Date": _stamp(leads["mql_at"], t),
            "Became a Sales Accepted Lead Date": _stamp(leads["accepted_at"], t),
            "Rejected Date": _stamp(leads["rejected_at"], t), "Rejection Reason": leads["rejection_reason"],
            "Became a Sales Qualified Lead Date": _stamp(leads["sql_at"], t),
            "Became an Opportunity Date": _stamp(leads["opportunity_at"], t),
            "Became a Customer Date": _stamp(leads["won_at"], t), "Closed Lost Date": _stamp(leads["lost_at"], t),
            "Total Revenue": leads["amount"],
        }
    )  # fmt: skip
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_salesforce(leads: pd.DataFrame) -> bytes:
    """A Salesforce leads report of the MQLs (leads handed to sales): US dates, ``;``-free, CRLF, Latin-1."""
    mqls = leads[leads["mql_at"].notna()]
    status = np.select(
        [mqls["sql_at"].notna(), mqls["rejected_at"].notna(), mqls["accepted_at"].notna()],
        ["Closed - Converted", "Closed - Not Converted", "Working - Contacted"],
        "Open - Not Contacted",
    )
    us = "%m/%d/%Y %I:%M %p"
    frame = pd.DataFrame(
        {
            "Lead ID": mqls["lead_id"], "Lead Owner": mqls["owner"], "First Name": mqls["first_name"],
            "Last Name": mqls["last_name"], "Company / Account": mqls["company"], "Email": mqls["email"],
            "Lead Source": mqls["channel"], "Lead Status": status, "Industry": mqls["industry"],
            "No. of Employees": mqls["company_size"], "Created Date": _stamp(mqls["created_at"], us),
            "MQL Date": _stamp(mqls["mql_at"], us), "Rejected Date": _stamp(mqls["rejected_at"], us),
            "Rejection Reason": mqls["rejection_reason"], "Converted Date": _stamp(mqls["sql_at"], "%m/%d/%Y"),
            "Last Activity": _stamp(mqls["accepted_at"], us),
        }
    )  # fmt: skip
    return frame.to_csv(index=False, lineterminator="\r\n").encode("cp1252", errors="replace")
