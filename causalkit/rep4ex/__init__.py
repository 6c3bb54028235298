"""causalkit.rep4ex"""
