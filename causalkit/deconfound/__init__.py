"""causalkit.deconfound"""
