"""Simulators for causalkit.compositional (see that subpackage)."""

__all__: list[str] = []
