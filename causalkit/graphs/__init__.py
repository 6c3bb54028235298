"""causalkit.graphs"""
