"""Simulators for causalkit.deconfound (see that subpackage)."""

__all__: list[str] = []
