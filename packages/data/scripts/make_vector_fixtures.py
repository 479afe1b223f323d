"""Writes the .npy and CSV/TSV fixtures of packages/data/test/vectors-files.spec.ts with NumPy and pandas.

Run with Debian's python3 (it has numpy and pandas): /usr/bin/python3 packages/data/scripts/make_vector_fixtures.py
Parquet fixtures come from make_parquet_fixtures.ts (no Parquet writer for pandas here: neither pyarrow nor fastparquet).
"""
import json
import os

import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "vectors")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)
N, D = 6, 4
values = rng.normal(size=(N, D)).astype(np.float32)
labels = np.array([0, 2, 1, 1, 0, 2], dtype=np.int64)
p = lambda name: os.path.join(OUT, name)

# What every reader must give back: float32 values (as float64 in JSON, exactly) and labels.
json.dump({"values": values.astype(np.float64).tolist(), "labels": labels.tolist()}, open(p("expected.json"), "w"))

np.save(p("v32.npy"), values)
np.save(p("v64.npy"), values.astype(np.float64))
np.save(p("labels.npy"), labels)
np.save(p("labels-u8.npy"), labels.astype(np.uint8))
np.save(p("labels-frac.npy"), np.array([0, 1.5, 1, 1, 0, 2]))
np.save(p("fortran.npy"), np.asfortranarray(values))
np.save(p("ints.npy"), (values * 10).astype(np.int32))
np.save(p("big-endian.npy"), values.astype(">f4"))
np.save(p("vector-1d.npy"), values[:, 0])
with_nan = values.copy()
with_nan[3, 2] = np.nan
np.save(p("nan.npy"), with_nan)
whole = open(p("v32.npy"), "rb").read()
open(p("truncated.npy"), "wb").write(whole[: len(whole) - 10])

cols = [f"x{j}" for j in range(D)]
df = pd.DataFrame(values, columns=cols)
df["label"] = labels
# float32 values printed with enough digits to read back exactly.
df.to_csv(p("table.csv"), index=False, float_format="%.9g")
df.to_csv(p("table.tsv"), index=False, sep="\t", float_format="%.9g")
df.to_csv(p("pandas-index.csv"), float_format="%.9g")  # pandas' default: an unnamed index column first
df.to_csv(p("no-header.csv"), index=False, header=False, float_format="%.9g")
nan_df = df.copy()
nan_df.loc[4, "x1"] = np.nan  # pandas writes NaN as an empty field
nan_df.to_csv(p("nan.csv"), index=False, float_format="%.9g")
bad = df.astype({"label": object})
bad.loc[2, "label"] = "cat"
bad.to_csv(p("label-text.csv"), index=False, float_format="%.9g")
lines = open(p("table.csv")).read().splitlines()
lines[5] = ",".join(lines[5].split(",")[:-2])  # line 6 loses two fields
open(p("ragged.csv"), "w").write("\n".join(lines) + "\n")
print("wrote", sorted(os.listdir(OUT)))
