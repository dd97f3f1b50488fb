"""Spacecraft models: power, thermal, radiation faults and the compute-hardware catalog.

Every model is a struct of arrays over satellites, advanced one time step at a time by
vectorized kernels, so that the engine can step a million satellites.
"""
