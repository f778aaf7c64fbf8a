"""Service layer of the Azure ML walkthrough dashboard. Never imports Streamlit."""
