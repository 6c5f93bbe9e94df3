"""Diplomatic Themes: diplomatic texts -> dated documents -> theme and organisation mentions -> timelines."""

__version__ = "0.1.0"
__all__ = ["__version__"]
