"""The command-line application's layer: files, folders and reports around the library.

The one layer below the CLI and the experiments that reads users' files, writes run folders and
names command-line flags in its messages.

- :mod:`.tabular`: reading CSV/``.npz`` tables into features and targets;
- :mod:`.config`: :class:`~.config.SearchConfig`, every setting of a ``sparcs search`` run;
- :mod:`.folder`: ``sparcs search`` — a whole search written into a run folder;
- :mod:`.report`: the search folder's ``report.md`` and the metrics table of ``sparcs show``;
- :mod:`.saved`: a saved search folder, loaded back for ``sparcs predict``;
- :mod:`.export`: ``sparcs export`` — a saved search as an ONNX file, scalers included, and the
  description of its input columns beside it;
- :mod:`.markdown`: the Markdown report builder of searches and experiments;
- :mod:`.outfolder`: where sparcs may write, and what ``--overwrite`` may replace;
- :mod:`.rundir`: experiment run folders (config, checkpoints, resume).
"""
