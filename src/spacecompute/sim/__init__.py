"""The simulation layer: runs scenarios over time chunks (engine to come; see issue 5)."""
