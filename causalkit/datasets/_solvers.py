"""Simulators for causalkit.solvers (see that subpackage)."""

__all__: list[str] = []
