"""Simulators for causalkit.rep4ex (see that subpackage)."""

__all__: list[str] = []
