"""Simulators for causalkit.iv (see that subpackage)."""

__all__: list[str] = []
