"""Orbits, time, frames, sun, eclipse and ground access: spacecompute's lowest layer.

Inner functions take and return plain numpy arrays (SI units) and small frozen dataclasses.
"""
