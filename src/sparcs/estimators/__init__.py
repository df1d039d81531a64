"""scikit-learn estimators on your own data.

- :mod:`.sklearn`: ``SparcsRegressor`` / ``SparcsClassifier`` (needs the ``sklearn`` extra,
  imported only when used); the engine they wrap is :mod:`sparcs.search.engine`.

The linear baselines and the test metrics live in :mod:`sparcs.baselines` and
:mod:`sparcs.metrics`.
"""
