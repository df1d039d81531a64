"""``sparcs reproduce transition --backend ray``: one Ray task per chunk, the local results."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparcs.cli.main import main

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_chunks_merge_into_the_local_results(tmp_path: Path, capsys) -> None:
    common = ["reproduce", "transition", "--preset", "tiny", "--device", "cpu", "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "local")]) == 0
    assert main([*common, "--out", str(tmp_path / "ray"), "--backend", "ray"]) == 0
    for name in ("results.csv", "models.csv"):
        assert (tmp_path / "ray" / name).read_text() == (tmp_path / "local" / name).read_text()
    chunks = sorted(p.name for p in (tmp_path / "ray" / "checkpoints").glob("*-results.pt"))
    assert chunks == ["chunk000-results.pt", "chunk001-results.pt"]  # tiny: 12 models, 6 each
    # A lost chunk is trained again on the next run, and the run resumes as the same config.
    (tmp_path / "ray" / "checkpoints" / "chunk001-results.pt").unlink()
    (tmp_path / "ray" / "done.json").unlink()
    assert main([*common, "--out", str(tmp_path / "ray"), "--backend", "ray"]) == 0
    assert "resuming the run" in capsys.readouterr().out
    assert (tmp_path / "ray" / "models.csv").read_text() == (
        tmp_path / "local" / "models.csv").read_text()


def test_only_transition_offers_a_backend(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["reproduce", "scaling", "--preset", "tiny", "--backend", "ray"])
    assert "unrecognized arguments: --backend" in capsys.readouterr().err
