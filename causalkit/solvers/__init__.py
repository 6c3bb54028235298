"""causalkit.solvers"""
