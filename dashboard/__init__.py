"""The Streamlit dashboard: data loading, sidebar filters, charts and the page."""

__all__ = ["charts", "data", "filters"]
