"""Estimators on your own data.

- :mod:`.sklearn`: ``SparcsRegressor`` / ``SparcsClassifier`` (needs the ``sklearn`` extra,
  imported only when used); the engine they wrap is :mod:`sparcs.search.engine`;
- :mod:`.linear`, :mod:`.metrics`: the linear floor and test metrics of ``sparcs search``.
"""
