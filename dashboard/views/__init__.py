"""One module per view of the dashboard (overview, themes, organisations, topics, documents, report), the sidebar,
chart selections, and what they share (common, markup); dashboard/app.py lays them out."""
