"""Tests for the package's public names (analysis/__init__.py)."""

import pytest

import analysis


@pytest.mark.parametrize("name", [n for n in analysis.__all__ if n != "__version__"])
def test_public_names_resolve(name):
    assert callable(getattr(analysis, name))


def test_unknown_name_is_a_clear_error():
    with pytest.raises(AttributeError, match="module 'analysis' has no attribute 'nope'"):
        analysis.nope  # noqa: B018
