"""causalkit.debias"""
