"""Simulators for causalkit.network (see that subpackage)."""

__all__: list[str] = []
