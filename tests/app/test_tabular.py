"""Reading CSV/.npz tables: encoding, bookkeeping and one clear error per kind of bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sparcs.app.tabular import (
    ColumnSchema,
    encode_labels,
    infer_task,
    load_dataset,
    read_table,
)
from sparcs.errors import ConfigError, DataError


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def rows(n, fmt="{i},{x},{y}"):
    return "\n".join(fmt.format(i=i, x=i * 0.5, y=i % 3) for i in range(n))


def test_numeric_csv_keeps_column_order_and_excludes_target(tmp_path):
    path = write(tmp_path, "a,y,b\n" + "\n".join(f"{i},{i * 2},{-i}" for i in range(12)))
    data = load_dataset(path, "y")
    assert data.feature_names == ["a", "b"]
    np.testing.assert_array_equal(data.X[:, 0], np.arange(12))
    np.testing.assert_array_equal(data.X[:, 1], -np.arange(12))
    np.testing.assert_array_equal(data.y, 2 * np.arange(12))
    assert data.schema.target == "y" and data.n_dropped == 0


def test_onehot_encodes_text_columns_and_round_trips(tmp_path):
    colours = ["red", "blue", "green"]
    body = "\n".join(f"{i},{colours[i % 3]},{i}" for i in range(12))
    path = write(tmp_path, "a,colour,y\n" + body)
    data = load_dataset(path, "y", categorical="onehot")
    assert data.feature_names == ["a", "colour=blue", "colour=green", "colour=red"]
    assert data.X[:, 1:].sum(axis=1).tolist() == [1.0] * 12
    assert data.X[0, 3] == 1.0  # row 0 is red
    schema = ColumnSchema.from_dict(data.schema.to_dict())
    np.testing.assert_array_equal(schema.encode(read_table(path)), data.X)


def test_unseen_category_at_encode_time_is_named(tmp_path):
    path = write(tmp_path, "a,colour,y\n" + "\n".join(f"{i},red,{i}" for i in range(12)))
    schema = load_dataset(path, "y", categorical="onehot").schema
    new = write(tmp_path, "a,colour\n1,purple\n", "new.csv")
    with pytest.raises(DataError, match=r"colour has categories not seen in fitting.*'purple'"):
        schema.encode(read_table(new))


def test_text_feature_columns_are_named_with_the_fix(tmp_path):
    path = write(tmp_path, "a,city,kind,y\n" + "\n".join(f"{i},Paris,x{i},{i}" for i in range(12)))
    with pytest.raises(DataError) as err:
        load_dataset(path, "y")
    msg = str(err.value)
    assert "city (e.g. 'Paris')" in msg and "kind (e.g. 'x0')" in msg
    assert "--categorical onehot" in msg and "a (" not in msg


def test_missing_target_lists_available_columns(tmp_path):
    path = write(tmp_path, "a,b,y\n" + rows(12))
    with pytest.raises(DataError, match=r"'price' is not in data.csv; available columns: a, b, y"):
        load_dataset(path, "price")
    with pytest.raises(DataError, match="--target is required"):
        load_dataset(path, None)


def test_nan_and_inf_are_counted_and_dropna_drops_them(tmp_path):
    lines = [f"{i},{i * 0.5},{i}" for i in range(14)]
    lines[2] = "2,,2"  # missing cell
    lines[5] = "5,inf,5"
    lines[7] = "nan,NaN,7"  # two NaN in one row
    lines[9] = "9,1.0,"  # missing target
    path = write(tmp_path, "a,b,y\n" + "\n".join(lines))
    with pytest.raises(DataError) as err:
        load_dataset(path, "y")
    msg = str(err.value)
    assert "4 missing/NaN and 1 infinite values in 4 rows" in msg
    assert "a, b, y (target)" in msg and "--dropna" in msg
    data = load_dataset(path, "y", dropna=True)
    assert data.n_dropped == 4 and data.X.shape == (10, 2)
    assert np.isfinite(data.X).all()


def test_too_few_rows_after_dropna(tmp_path):
    path = write(tmp_path, "a,y\n" + "\n".join(f"{i if i > 4 else 'nan'},{i}" for i in range(12)))
    with pytest.raises(DataError, match=r"7 usable rows after dropping 5 rows.*at least 10"):
        load_dataset(path, "y", dropna=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("a,b,y\n", "has a header but no data rows"),
        ("a,y\n1,2\n3,4\n", "has 2 usable rows; at least 10 are needed"),
        ("a,y\n1,2\n3,4,5\n", "data row 2 has 3 fields but the header has 2"),
        ("a,a,y\n1,2,3\n", "duplicate column names in the header: a"),
        ("a,,y\n1,2,3\n", "empty column name"),
        ("y\n1\n2\n", "no feature columns"),
        ("a;b;y\n1;2;3\n", "looks separated by semicolons"),
        ("a\tb\ty\n1\t2\t3\n", "looks separated by tabs"),
    ],
)
def test_bad_csv_files(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_dataset(write(tmp_path, text), "y")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match=r"file not found: .*nope.csv"):
        load_dataset(tmp_path / "nope.csv", "y")
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(tmp_path, "y")


def test_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        load_dataset(path, "y")


def test_npz_with_x_and_y(tmp_path):
    X = np.arange(30.0).reshape(15, 2)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(15))
    data = load_dataset(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.X, X)
    assert data.feature_names == ["x0", "x1"] and data.schema.kind == "npz"
    np.savez(tmp_path / "nox.npz", features=X)
    with pytest.raises(DataError, match="needs an array named X"):
        load_dataset(tmp_path / "nox.npz")
    np.savez(tmp_path / "noy.npz", X=X)
    with pytest.raises(DataError, match="has no array y"):
        load_dataset(tmp_path / "noy.npz")
    np.savez(tmp_path / "rows.npz", X=X, y=np.arange(14))
    with pytest.raises(DataError, match="X has 15 rows but y has 14"):
        load_dataset(tmp_path / "rows.npz")
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(DataError, match=r"not a readable \.npz"):
        load_dataset(tmp_path / "bad.npz")


def test_check_columns_names_missing_and_extra(tmp_path):
    schema = ColumnSchema(features=["a", "b", "c"], target="y")
    ok = read_table(write(tmp_path, "c,a,b,y\n1,2,3,4\n", "ok.csv"))
    schema.check_columns(ok)  # order and the target's presence do not matter
    np.testing.assert_array_equal(schema.encode(ok), [[2.0, 3.0, 1.0]])
    bad = read_table(write(tmp_path, "a,c,d\n1,2,3\n", "bad.csv"))
    with pytest.raises(DataError, match="missing columns: b; unexpected columns: d"):
        schema.check_columns(bad)


def test_unknown_categorical_mode():
    with pytest.raises(ConfigError, match="unknown --categorical 'ordinal'"):
        load_dataset("x.csv", "y", categorical="ordinal")


def test_infer_task_and_labels():
    assert infer_task(np.array(["a", "b"], dtype=object)) == "classification"
    assert infer_task(np.array([0.0, 1.0] * 5)) == "classification"
    assert infer_task(np.arange(100.0) % 10) == "classification"
    assert infer_task(np.arange(50.0)) == "regression"
    assert infer_task(np.arange(20.0)) == "regression"  # too few rows per value for classes
    assert infer_task(np.array([0.5, 1.0, 2.0])) == "regression"
    classes, codes = encode_labels(np.array([2.0, 0.0, 2.0]))
    assert classes == [0, 2] and all(isinstance(c, int) for c in classes)
    assert codes.tolist() == [1, 0, 1]
    classes, codes = encode_labels(np.array(["no", "yes", "no"], dtype=object))
    assert classes == ["no", "yes"] and codes.tolist() == [0, 1, 0]


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("a,b,y\n" + rows(12), encoding="utf-8-sig")
    data = load_dataset(path, "y")
    assert data.feature_names == ["a", "b"]


# pandas' default missing-value markers (``pd.read_csv``'s ``na_values``), exactly.
PANDAS_MISSING = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                  "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
REALDATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "realdata"


@pytest.mark.parametrize("marker", PANDAS_MISSING)
def test_pandas_missing_markers_are_missing(tmp_path, marker):
    body = [f"{i},{'x' if i % 2 else 'z'},{i}" for i in range(14)]
    body[3] = f"{marker},z,3"
    body[4] = f"4,{marker},4"
    body[5] = f"5,x,{marker}"
    data = load_dataset(write(tmp_path, "a,c,y\n" + "\n".join(body)), "y",
                        categorical="onehot", dropna=True)
    assert data.n_dropped == 3 and data.feature_names == ["a", "c=x", "c=z"]


def test_words_pandas_reads_as_text_are_categories(tmp_path):
    # Case-sensitive, as in pandas: "none", "NONE", "?" and "Na" are categories.
    words = ["none", "NONE", "?", "Na", "acute"]
    path = write(tmp_path, "apex,y\n" + "\n".join(f"{words[i % 5]},{i}" for i in range(15)))
    data = load_dataset(path, "y", categorical="onehot", dropna=True)
    assert data.n_dropped == 0
    assert data.feature_names == ["apex=?", "apex=NONE", "apex=Na", "apex=acute", "apex=none"]


@pytest.mark.parametrize("word", ["?", "none", "-"])
def test_numbers_with_a_missing_looking_word_are_refused(tmp_path, word):
    body = [f"{i},{i}" for i in range(12)]
    body[4] = f"{word},4"
    path = write(tmp_path, "a,y\n" + "\n".join(body))
    for mode in ("error", "onehot"):  # not one-hot encoded as if every number were a category
        with pytest.raises(DataError, match=re.escape(f"column a holds numbers and the text "
                                                      f"'{word}' (1 cells), which")):
            load_dataset(path, "y", categorical=mode, dropna=True)


def test_leaves_keeps_every_row_with_dropna():
    # "none" is a real category of apex and base: not a missing value.
    data = load_dataset(REALDATA / "leaves.csv", "species", categorical="onehot", dropna=True)
    assert len(data.y) == 1907 and data.n_dropped == 0
    assert "apex=none" in data.feature_names and "base=none" in data.feature_names


@pytest.mark.parametrize(
    "entry", json.loads((REALDATA / "manifest.json").read_text()), ids=lambda e: e["name"])
def test_realdata_rows_after_dropna_match_pandas(entry):
    pd = pytest.importorskip("pandas")
    path = REALDATA / entry["file"]
    data = load_dataset(path, entry["target"], categorical="onehot", dropna=True)
    assert len(data.y) == len(pd.read_csv(path).dropna())
