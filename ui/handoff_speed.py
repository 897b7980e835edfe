"""Handoff timing and My leads sections: systems vs human delay, MQLs at risk, and whether speed pays."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import STANDARD
from sla_model.charts.handoff import speed_pays_chart
from sla_model.metrics.handoff import MATURE_DAYS, at_risk, delay_split, delay_summary, speed_pays
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.timing import compliance_by, speed_by
from ui import fmt
from ui.cached import compute, data_scope, view_scope
from ui.charts import plot, projector, show
from ui.controls import View
from ui.data import Dataset

DEFAULT_RISK_HOURS = 8
RISK_ROW_LIMIT = 200


def owner_text(owner: pd.Series) -> pd.Series:
    """Owner names with "(no owner)" for a missing one."""
    return owner.astype(object).where(owner.notna(), "(no owner)")


def delay_section(month: pd.DataFrame, view: View) -> None:
    """Created → handed over (marketing / routing) next to handed over → first touch (sales), overall and per rep."""
    st.subheader("Systems delay vs human delay")
    split = delay_split(month, view.data.leads)
    overall = delay_summary(split).iloc[0]
    known, n = int(overall["systems_n"]), int(overall["mqls"])
    cols = st.columns(3)
    if known:
        cols[0].metric("Created → handed over (median)", fmt.hours(overall["systems_median"]),
                       help="Marketing and routing: lead creation to MQL handoff")  # fmt: skip
    else:
        cols[0].metric("Created → handed over", "not recorded")
    cols[1].metric("Handed over → first touch (median)", fmt.hours(overall["human_median"]),
                   help="Sales: handoff to the first touch")  # fmt: skip
    share = overall["systems_share"]
    cols[2].metric("Share of the wait before sales", "—" if pd.isna(share) else fmt.pct(share))
    note = f"Creation time known for {fmt.count(known)} of {fmt.plural(n, 'MQL')}" + (
        "." if known == n else " (missing or after the handoff); the systems figures cover only those."
    )
    if not known:
        note = "The data holds no usable creation time, so the systems delay cannot be shown."
    if not view.sla.calendar.always:
        note += (" Both delays are wall-clock hours, nights and weekends included, so they add up to the whole wait;"
                 " the SLA's clocks above count business hours.")  # fmt: skip
    st.caption(note + " A rep answers for the second delay only.")
    reps = delay_summary(split, "owner")
    if len(reps):
        table = pd.DataFrame(
            {
                "Rep": owner_text(reps["owner"]),
                "MQLs": reps["mqls"].astype(int),
                "Created → handed over": [fmt.hours(h) for h in reps["systems_median"]],
                "Handed over → first touch": [fmt.hours(h) for h in reps["human_median"]],
                "First touch p90": [fmt.hours(h) for h in reps["human_p90"]],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch", key="delay_table")


def risk_table(risk: pd.DataFrame, key: str) -> None:
    """The at-risk MQLs, soonest first (the first rows shown, all in the download)."""
    table = pd.DataFrame(
        {
            "Lead": risk["lead_id"].astype(str),
            "Company": risk["company"].astype(object),
            "Owner": owner_text(risk["owner"]),
            "Rule due": risk["rule"].astype(str),
            "Due": risk["due"],
            "Time left": [fmt.hours(h) for h in risk["hours_left"]],
        }
    )
    st.dataframe(
        table.head(RISK_ROW_LIMIT),
        hide_index=True,
        width="stretch",
        column_config={"Due": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")},
        key=f"{key}_table",
    )
    if len(table) > RISK_ROW_LIMIT:
        st.caption(f"The {RISK_ROW_LIMIT} soonest of {fmt.count(len(table))} shown.")


def owners_at_risk(summary: pd.DataFrame, owner: str | None, *args, **kwargs) -> pd.DataFrame:
    """:func:`~sla_model.metrics.handoff.at_risk` of ``owner``'s MQLs in ``summary`` (everyone's when None)."""
    return at_risk(summary if owner is None else summary[summary["owner"] == owner], *args, **kwargs)


def at_risk_section(summary: pd.DataFrame, data: Dataset, key: str, owner: str | None = None, *,
                    within: tuple | None = None) -> pd.DataFrame:  # fmt: skip
    """Open MQLs that will break a rule within the next N hours (N chosen here), soonest first, per rep.

    ``owner`` keeps one rep's MQLs. Judged as of the data's as-of time. ``within`` is the scope
    (:func:`ui.cached.view_scope`) of a filtered ``summary``; the data set's own summary needs none.
    """
    as_of = pd.Timestamp(data.as_of)
    business = any(not v.calendar.always for v in data.versions)
    label = "Within the next … business hours" if business else "Within the next … hours"
    hours = st.number_input(label, min_value=1, max_value=24 * 14, value=DEFAULT_RISK_HOURS, step=1,
                            key=f"{key}_hours")  # fmt: skip
    args = (summary, owner, data.leads, as_of, float(hours))
    options = {"touches_recorded": data.touches_recorded, "versions": data.versions}
    if within is None and summary is data.summary:
        within = data_scope(data)
    risk = owners_at_risk(*args, **options) if within is None else compute(within, owners_at_risk, *args, **options)
    if business:  # the SLA counts working hours: N of them can end days after the as-of time
        st.caption(
            f"Open MQLs not in breach yet whose next rule falls due within {fmt.plural(int(hours), 'business hour')} "
            f"of the data's as-of time ({as_of:%d %b %H:%M} UTC), counted on each lead's own calendar, soonest first."
        )
    else:
        st.caption(
            f"Open MQLs not in breach yet whose next rule falls due by "
            f"{as_of + pd.Timedelta(hours=hours):%d %b %Y, %H:%M} UTC ({fmt.plural(int(hours), 'hour')} after the "
            f"data's as-of time {as_of:%d %b %H:%M}), soonest first."
        )
    if risk.empty:
        within = fmt.plural(int(hours), "business hour" if business else "hour")
        st.success(f"No open MQL falls due in the next {within}.", icon=":material/check_circle:")
        return risk
    per_rep = owner_text(risk["owner"]).value_counts()
    st.markdown(" · ".join(f"**{fmt.md_escape(r)}** {n}" for r, n in per_rep.items()))
    risk_table(risk, key)
    return risk


def speed_pays_section(summary: pd.DataFrame, view: View) -> pd.DataFrame:
    """MQL→SQL and MQL→won by speed-to-lead bucket, with 95% intervals and sample sizes."""
    st.subheader("Does speed pay?")
    pays = compute(view_scope(view), speed_pays, summary, view.data.leads, view.data.as_of)  # summary: the view's
    if not view.data.touches_recorded or pays["mqls"].sum() == 0:
        st.info(f"No touched MQL is {MATURE_DAYS} days old yet, so conversion by speed cannot be judged.",
                icon=":material/hourglass_empty:")  # fmt: skip
        return pays
    kind = st.segmented_control("Buckets", ["Against the rule", "Fixed hours"], default="Against the rule",
                                key="pays_kind") or "Against the rule"  # fmt: skip
    shown = pays[pays["kind"] == ("rule" if kind == "Against the rule" else "hours")]
    left, right = st.columns(2, gap="large")
    for col, rate, title in ((left, "sql", "MQL→SQL"), (right, "won", "MQL→won")):
        with col:
            hours = "hours" if view.sla.calendar.always else "business hours"
            st.markdown(f"**{title}** by {hours} from handoff to first touch")
            show(projector(plot(speed_pays_chart, shown, rate, title), 280), len(shown), key=f"pays_{rate}")
    table = pd.DataFrame(
        {
            "Speed to lead": shown["bucket"],
            "MQLs": [fmt.count(n) for n in shown["mqls"]],
            "MQL→SQL": [rate_text(r, lo, hi) for r, lo, hi in shown[["sql_rate", "sql_low", "sql_high"]].to_numpy()],
            "MQL→won": [rate_text(r, lo, hi) for r, lo, hi in shown[["won_rate", "won_low", "won_high"]].to_numpy()],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"MQLs": st.column_config.TextColumn(help="MQLs at least 30 days old in the bucket")},
        key="pays_table",
    )
    st.caption(
        f"MQLs handed over at least {MATURE_DAYS} days before the as-of time, from every month"
        + (" (filters apply)" if view.filtered else "")
        + f"; the rule is the first-touch limit in force at each handoff. Ranges are 95% (Wilson) intervals; hollow "
        f"points: fewer than {SMALL_SAMPLE} MQLs. Overlapping ranges mean the data cannot tell the buckets apart."
    )
    return pays


def rate_text(rate: float, low: float, high: float) -> str:
    """A rate with its 95% interval, or a dash without MQLs."""
    if pd.isna(rate):
        return "—"
    return f"{fmt.pct(rate, 1)} ({fmt.pct(low, 1)}–{fmt.pct(high, 1)})"


def policy_section(judged: pd.DataFrame, compliance: pd.DataFrame, view: View) -> None:
    """Compliance per follow-up policy: first touch in time and the touch rule, with sample sizes.

    Shown when the month's MQLs were judged by more than one policy (an SLA with ``[[follow_up.policies]]``).
    """
    if judged["policy"].nunique() < 2:
        return
    speed = speed_by(judged[judged["judged"]], "policy").set_index("policy")
    touch = compliance_by(compliance, "policy").set_index("policy")
    rules = judged.groupby("policy", observed=True)[["first_touch_hours", "min_touches", "window_days"]].first()
    counts = judged["policy"].value_counts()
    order = [STANDARD, *sorted(set(counts.index) - {STANDARD}, key=lambda p: -counts[p])]
    order = [p for p in order if p in counts.index]
    unit, days = view.sla.calendar.hour_unit, view.sla.calendar.day_unit

    def share(frame: pd.DataFrame, policy: str, ok: str, n: str, value: str) -> str:
        if policy not in frame.index or not frame.loc[policy, n]:
            return "not judged yet"
        row = frame.loc[policy]
        flag = " *" if row[n] < SMALL_SAMPLE else ""
        return f"{fmt.pct(row[value])} ({int(row[ok]):,}/{int(row[n]):,}){flag}"

    table = pd.DataFrame(
        {
            "Policy": order,
            "MQLs": [int(counts[p]) for p in order],
            "First touch within": [f"{rules.loc[p, 'first_touch_hours']:g} {unit}" for p in order],
            "In time": [share(speed, p, "within", "judged", "share_within") for p in order],
            "Touch rule": [
                f"{int(rules.loc[p, 'min_touches'])} in {int(rules.loc[p, 'window_days'])} {days}" for p in order
            ],
            "Complying": [share(touch, p, "complies", "judged", "share") for p in order],
        }
    )
    st.subheader(f"By follow-up policy · {view.label}")
    st.caption(
        "Each MQL is judged by the first policy of the SLA in force at its handoff that covers it; "
        f"MQLs no policy covers get the {STANDARD.lower()} rules. (k/n) = MQLs meeting the rule / MQLs judged; "
        "* fewer than 30 judged: a small sample."
    )
    st.dataframe(table, hide_index=True, width="stretch")
