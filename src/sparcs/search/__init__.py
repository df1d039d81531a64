"""The search on your own data: settings, engine, tabular input, and run folders.

- :mod:`.engine`: standardize, train, prune and compact on numpy arrays (torch only);
- :mod:`.tabular`: reading CSV/TSV tables into features and targets;
- :mod:`.folder`: ``sparcs search`` — a whole search written into a run folder;
- :mod:`.saved`: a saved search folder, loaded back for ``sparcs predict``.
"""
