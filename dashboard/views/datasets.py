"""The Data step's list of stored datasets: every version in the workspace, the one the next
steps use, and the blobs under its container."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import UserFacingError
from dashboard import session
from dashboard.widgets import follow_newest_select


def stored_section() -> None:
    workspace = session.current_workspace()
    if workspace is None:
        return
    assets = session.backend().list_data_assets(workspace)
    if not assets:
        return
    st.subheader(f"Datasets in workspace '{workspace}'", anchor=False)
    st.dataframe(
        pd.DataFrame(
            {
                "name": [a.name for a in assets],
                "version": [a.version for a in assets],
                "target": [a.properties.get("target") for a in assets],
                "task": [a.properties.get("task") for a in assets],
                "train rows": [a.properties.get("train_rows") for a in assets],
                "test rows": [a.properties.get("test_rows") for a in assets],
                "created (UTC)": [a.created_at.replace("T", " ")[:19] for a in assets],
                "blob": [a.properties.get("blob_name") for a in assets],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={  # the blob path is the long one: the counts give it their room
            "version": st.column_config.NumberColumn(width="small"),
            "train rows": st.column_config.NumberColumn(width="small"),
            "test rows": st.column_config.NumberColumn(width="small"),
            "blob": st.column_config.TextColumn(width="large"),
        },
    )
    versions = [(a.name, a.version) for a in assets]
    picked = follow_newest_select(
        "Dataset the next steps use",
        versions,
        key="data_current_pick",
        pin_key=session.DATA_CURRENT,  # set by storing a dataset, or by a pick here or on 4 · Sweep
        newest=versions[-1],
        format_func=lambda nv: f"{nv[0]} v{nv[1]}",
    )
    chosen = assets[versions.index(picked)]
    account, container = chosen.properties.get("account"), chosen.properties.get("container")
    if account and container:
        with st.expander(f"Blobs in {account}/{container}", icon=":material/folder_open:"):
            try:
                blobs = session.backend().list_blobs(str(account), str(container))
            except UserFacingError as exc:
                st.error(str(exc))
            else:
                st.dataframe(
                    pd.DataFrame(
                        {
                            "name": [b.name for b in blobs],
                            "size (bytes)": [b.size for b in blobs],
                            "last modified (UTC)": [
                                b.last_modified.strftime("%Y-%m-%d %H:%M:%S") for b in blobs
                            ],
                        }
                    ),
                    hide_index=True,
                    width="stretch",
                )
