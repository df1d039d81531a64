"""The search on numpy arrays: settings, engine, regularization path, linear floor, prediction.

- :mod:`.settings`: :class:`~.settings.SearchSettings`, the one definition of a search's settings;
- :mod:`.engine`: :func:`~.engine.fit_search`, the stages in order (torch and numpy only):
  :mod:`.prepare` (split, scalers), :mod:`.path` (training a single network or a
  regularization path), :mod:`.candidates` (each member pruned within the limit of a
  :mod:`.criterion`), :mod:`.select` (the selection rule) and :mod:`.finetune`;
- :mod:`.linear_floor`: the regularized linear model as a candidate of the same form;
- :mod:`.predictor`: a fitted model behind its scalers, raw features in and targets out.

Reading tables and writing run folders (``sparcs search``) is the application's part:
:mod:`sparcs.app`.
"""
