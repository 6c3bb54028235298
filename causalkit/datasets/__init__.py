"""Simulators with known ground truth and small bundled data sets."""

__all__: list[str] = []
