"""The search on numpy arrays: settings, engine, regularization path, linear floor, prediction.

- :mod:`.settings`: :class:`~.settings.SearchSettings`, the one definition of a search's settings;
- :mod:`.engine`: standardize, train, prune and compact (torch and numpy only);
- :mod:`.path`: training the candidates, a single network or a regularization path;
- :mod:`.linear_floor`: the regularized linear model as a candidate of the same form;
- :mod:`.predictor`: a fitted model behind its scalers, raw features in and targets out.

Reading tables and writing run folders (``sparcs search``) is the application's part:
:mod:`sparcs.app`.
"""
