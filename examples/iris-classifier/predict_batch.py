"""Batch prediction: score every flower in the input CSV with the trained model.

Reads INPUT_DIR/iris.csv (default data/iris.csv), writes OUTPUT_DIR/predictions.csv (default
output/) and prints the accuracy against the labels in the file. Berth's "Run as Batch Job" mounts
data/ at /input and output/ at /output and sets both variables.
"""

import csv
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
input_dir = os.environ.get("INPUT_DIR", os.path.join(here, "data"))
output_dir = os.environ.get("OUTPUT_DIR", os.path.join(here, "output"))
model_path = os.environ.get("MODEL_PATH", os.path.join(here, "model", "iris.npz"))

with np.load(model_path) as m:
    weights, bias, mean, std = m["weights"], m["bias"], m["mean"], m["std"]
    classes = [str(c) for c in m["class_names"]]

with open(os.path.join(input_dir, "iris.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
if not rows:
    sys.exit("no rows in iris.csv")

X = np.array([[float(r[k]) for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")] for r in rows])
scores = ((X - mean) / std) @ weights + bias
predicted = [classes[i] for i in scores.argmax(axis=1)]

os.makedirs(output_dir, exist_ok=True)
with open(os.path.join(output_dir, "predictions.csv"), "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["species", "predicted"])
    out.writerows([r["species"], p] for r, p in zip(rows, predicted))

correct = sum(r["species"] == p for r, p in zip(rows, predicted))
print(f"scored {len(rows)} flowers: {correct} correct ({correct / len(rows):.1%})")
