"""causalkit.iv"""
