"""Simulators for causalkit.debias (see that subpackage)."""

__all__: list[str] = []
