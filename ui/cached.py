"""Pages' aggregates computed once per data version, view and inputs (``st.cache_data``), shared by every session.

A page section calls ``compute(view_scope(view, ...), fn, *args)`` instead of ``fn(*args)``. The frames among the
arguments (the view's leads, the data set's touches, a frame derived from them) are not hashed, which at a
million rows would cost about as much as the aggregate: the scope names what they hold instead — the database, its
data version, the view's filters, and whatever else a derived frame depends on (the month of a cohort). Every
other argument (a period, the SLA versions, an option) is part of the key as it is. Any write moves the data
version, so the next run computes the aggregate afresh and a decision shows on every page at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from pydantic import BaseModel

from sla_model.store.db import database_url

_FRAME = "__frame__"  # stands in the key for a frame argument (named by the scope, never hashed)


def view_scope(view, *extra: Hashable) -> tuple:
    """What the view's frames hold: database, data version, filters, and ``extra`` (e.g. the month of a cohort)."""
    return (database_url(), view.data.version, view.channels, view.personas, view.owners, *map(_token, extra))


def data_scope(data, *extra: Hashable) -> tuple:
    """What the whole data set's frames hold (no filter): database, data version and ``extra``."""
    return (database_url(), data.version, (), (), (), *map(_token, extra))


def _is_frame(value: Any) -> bool:
    return isinstance(value, pd.DataFrame | pd.Series)


def _token(value: Any) -> Hashable:
    """``value`` as the key holds it: frames as a placeholder, everything else by its content."""
    if _is_frame(value):
        return _FRAME
    if isinstance(value, np.ndarray):  # e.g. a day-by-day quota: by its bytes (quick, even for a large one)
        data = np.ascontiguousarray(value)
        return ("ndarray", str(data.dtype), data.shape, hashlib.blake2b(data.tobytes(), digest_size=16).hexdigest())
    if isinstance(value, pd.Index):
        return (type(value).__name__, str(value.dtype), tuple(map(str, value)))
    if isinstance(value, pd.Timestamp | pd.Period | dt.date | dt.datetime):
        return (type(value).__name__, str(value))
    if isinstance(value, BaseModel):
        return (type(value).__name__, value.model_dump_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, _token(dataclasses.astuple(value)))
    if isinstance(value, dict):
        return ("dict", tuple((_token(k), _token(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return (type(value).__name__, tuple(_token(v) for v in items))
    if value is None or isinstance(value, str | int | float | bool | np.generic):
        return value
    raise TypeError(f"no cache key for a {type(value).__name__}: pass it inside the scope or as plain values")


@st.cache_data(max_entries=256, show_spinner=False)
def _computed(key: tuple, name: str, tokens: tuple, _fn: Callable, _args: tuple, _kwargs: dict) -> Any:
    return _fn(*_args, **_kwargs)


def compute(key: tuple, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, cached per ``key``, ``fn`` and the arguments that are not frames.

    ``key`` comes from :func:`view_scope` or :func:`data_scope` and must name everything the frame arguments depend on;
    the other arguments are in the key by their content. The result is a copy (``st.cache_data``): the caller may
    change it.
    """
    tokens = (_token(args), _token(dict(sorted(kwargs.items()))))
    return _computed(key, f"{fn.__module__}.{fn.__qualname__}", tokens, fn, args, kwargs)
