"""The Jupyter dashboard (placeholder while panels are written)."""
