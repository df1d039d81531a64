"""ONNX export of the compact model, checked with onnxruntime (the ``onnx`` extra; CI installs
it with the ``dev`` extra, so these run there)."""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np
import pytest
import torch

import sparcs
from sparcs.errors import SparcsError
from sparcs.pruning.compact import ONNX_EXPORT_LOGGERS, quiet_onnx_export, require_onnx

pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")

EXAMPLE_BATCH = 2  # the batch size of the export's example input (see CompactNetwork.to_onnx)


def _live_net(sizes: list[int], seed: int, dtype: torch.dtype = torch.float32):
    """A spectral net with a bias node and every skip block, all eigenvalues non-zero (so every
    hidden layer is live), and its compact model."""
    torch.manual_seed(seed)
    net = sparcs.SpectralNetwork(sizes, bias=True, dtype=dtype)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.copy_(torch.randn(lam.shape, dtype=lam.dtype) + torch.sign(torch.randn(())))
    compact = sparcs.to_compact(net)
    assert compact.widths == list(sizes), compact.widths  # every hidden node live
    return net, compact


def _onnx_outputs(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.shape == ["batch", x.shape[1]]  # the batch size is dynamic
    return session.run([out.name], {inp.name: x})[0]


@pytest.mark.parametrize(
    ("sizes", "dtype"),
    [
        ([4, 6, 5, 1], torch.float32),   # regression
        ([4, 6, 5, 2], torch.float64),   # regression, two targets, float64
        ([3, 5, 1], torch.float32),      # binary classification: one logit
        ([5, 6, 4, 3], torch.float32),   # multi-class: one logit per class
    ],
    ids=["regression", "regression-float64", "binary", "multiclass"],
)
def test_onnxruntime_matches_torch(tmp_path, sizes, dtype) -> None:
    net, compact = _live_net(sizes, seed=sum(sizes), dtype=dtype)
    last = compact.layers[-1]
    assert len(last.sources) == len(sizes) - 1 and last.bias is not None  # skips, bias node
    path = compact.to_onnx(tmp_path / "model.onnx")
    rng = np.random.default_rng(0)
    for batch in (1, EXAMPLE_BATCH, 7, 300):
        x = rng.normal(size=(batch, sizes[0])).astype(str(dtype).removeprefix("torch."))
        got = _onnx_outputs(path, x)
        with torch.no_grad():
            want = compact(torch.from_numpy(x)).numpy()
            spectral = net(torch.from_numpy(x)).numpy()
        assert got.shape == (batch, sizes[-1]) and got.dtype == x.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, spectral, rtol=1e-5, atol=1e-5)


def test_export_prints_nothing_and_restores_the_global_state(tmp_path, capfd) -> None:
    _, compact = _live_net([3, 4, 2], seed=1)
    require_onnx()  # onnxscript's first import adds a warning filter (sympy's) of its own
    compact.to_onnx(tmp_path / "warm.onnx")  # every lazy import of the exporter done
    capfd.readouterr()
    levels = {name: logging.getLogger(name).level for name in ONNX_EXPORT_LOGGERS}
    for name in ONNX_EXPORT_LOGGERS[:2]:  # a user's own setting survives too
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        before_levels = {name: logger.level for name, logger in
                         logging.root.manager.loggerDict.items()
                         if isinstance(logger, logging.Logger)}
        before_filters = list(warnings.filters)
        before_disable = logging.root.manager.disable
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            filters_inside = list(warnings.filters)
            compact.to_onnx(tmp_path / "model.onnx")
            assert list(warnings.filters) == filters_inside
            warnings.warn("still shown after the export", FutureWarning, stacklevel=1)
        assert [str(w.message) for w in caught] == ["still shown after the export"]
        captured = capfd.readouterr()
        assert captured.out == "" and captured.err == ""
        assert list(warnings.filters) == before_filters
        assert logging.root.manager.disable == before_disable
        after_levels = {name: logger.level for name, logger in
                        logging.root.manager.loggerDict.items()
                        if isinstance(logger, logging.Logger) and name in before_levels}
        assert after_levels == before_levels
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_quiet_export_restores_the_state_after_an_error() -> None:
    logger = logging.getLogger(ONNX_EXPORT_LOGGERS[0])
    level, filters = logger.level, list(warnings.filters)
    with pytest.raises(RuntimeError, match="boom"), quiet_onnx_export():
        assert logger.level == logging.ERROR
        raise RuntimeError("boom")
    assert logger.level == level and list(warnings.filters) == filters


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch) -> None:
    _, compact = _live_net([3, 4, 2], seed=2)
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    message = r"needs the onnx package: pip install 'sparcs-nas\[onnx\]'"
    with pytest.raises(SparcsError, match=message):
        compact.to_onnx(tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
