"""Search on your own data.

- :mod:`.base`: the engine (standardize, train, prune, compact) on numpy arrays, torch only;
- :mod:`.sklearn`: ``SparcsRegressor`` / ``SparcsClassifier`` (needs the ``sklearn`` extra,
  imported only when used);
- :mod:`.linear`, :mod:`.metrics`: the linear floor and test metrics of ``sparcs search``;
- :mod:`.saved`: a saved search folder, loaded back for ``sparcs predict``.
"""
