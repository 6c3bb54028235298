"""causalkit.network"""
