"""The network layer: links between satellites and to the ground, and the graphs they form.

Modules here build on :mod:`spacecompute.astro` (positions, access windows) and sit below the
scheduler and planner. :mod:`spacecompute.network.links` holds the physical link models (optical
inter-satellite links, radio ground links, line of sight) and the terminal catalog.
"""
