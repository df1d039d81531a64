"""The search on numpy arrays: settings, the cross-validated engine and its stages, prediction.

- :mod:`.settings`: :class:`~.settings.SearchSettings`, the one definition of a search's settings;
- :mod:`.engine`: :func:`~.engine.fit_search`, the stages in order (torch and numpy only):
  :mod:`.prepare` (split, scalers) and :mod:`.folds` (which rows each network trains,
  early-stops and is scored on), :mod:`.cv` (every network trained at once; pruning paths
  scored on held-out folds), :mod:`.floor` (the linear floor and the constant, cross-validated
  on the same folds), :mod:`.select` (the selection rule);
- :mod:`.predictor`: a fitted model behind its scalers, raw features in and targets out.

Reading tables and writing run folders (``sparcs search``) is the application's part:
:mod:`sparcs.app`.
"""
