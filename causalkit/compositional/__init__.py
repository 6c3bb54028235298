"""causalkit.compositional"""
