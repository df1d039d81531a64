"""The ``sparcs`` command line."""
