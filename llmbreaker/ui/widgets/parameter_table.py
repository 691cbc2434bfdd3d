"""The parameter budget as a table (model.parameter_budget's rows), drawn the same way by the
Inside page and the Lab."""
from __future__ import annotations

import pandas as pd
import streamlit as st

COLUMNS = {"component": "Component", "calculation": "Calculation", "params": "Parameters"}


def parameter_table(rows: list[dict], max_height: int) -> None:
    """One row per component with its formula and count, the total last; as tall as its rows, up to
    `max_height` pixels (then it scrolls)."""
    st.dataframe(pd.DataFrame(rows).rename(columns=COLUMNS), hide_index=True, width="stretch",
                 height=min(max_height, 36 * (len(rows) + 1)),
                 column_config={"Parameters": st.column_config.NumberColumn(format="localized")})
