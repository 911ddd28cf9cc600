"""Train a decision tree on a CSV dataset, report its accuracy to Vertex AI, save model.joblib.

Data: ``--training-data`` (default ``$AIP_TRAINING_DATA_URI``, as set for a managed dataset) and optionally
``--validation-data`` (default ``$AIP_VALIDATION_DATA_URI``; without it a fifth of the training rows is held
out). CSV files with a header row; every column but ``--target-column`` is a numeric feature, in file order,
so prediction instances are lists of the feature values in that order. Paths or gs:// URIs, wildcards allowed.

Output: ``model.joblib`` in ``--model-dir`` (default ``$AIP_MODEL_DIR``), loadable by Vertex AI's prebuilt
scikit-learn prediction image; the validation accuracy reported with cloudml-hypertune under ``--metric-tag``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer import storage


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trainer.task", description=__doc__.splitlines()[0])
    parser.add_argument("--training-data", default=os.environ.get("AIP_TRAINING_DATA_URI"))
    parser.add_argument("--validation-data", default=os.environ.get("AIP_VALIDATION_DATA_URI"))
    parser.add_argument("--target-column", default="label")
    parser.add_argument("--model-dir", default=os.environ.get("AIP_MODEL_DIR", "model"))
    # Hyperparameters; tuning passes --<parameterId>=<value>, so both spellings are accepted.
    parser.add_argument("--max-depth", "--max_depth", type=int, default=5)
    parser.add_argument("--min-samples-leaf", "--min_samples_leaf", type=int, default=1)
    parser.add_argument("--metric-tag", default="accuracy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.training_data:
        parser.error("no training data: pass --training-data or set AIP_TRAINING_DATA_URI")
    return args


def read_rows(location: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of every CSV file the location names (all with the same header)."""
    files = storage.expand(location)
    if not files:
        raise SystemExit(f"no data files match {location}")
    header: list[str] = []
    rows: list[list[str]] = []
    for file in files:
        reader = csv.reader(io.StringIO(storage.read_text(file)))
        file_header = next(reader, [])
        if header and file_header != header:
            raise SystemExit(f"{file} has the header {file_header}, expected {header}")
        header = file_header
        rows.extend(row for row in reader if row)
    return header, rows


def features_and_labels(header: list[str], rows: list[list[str]], target: str) -> tuple[list[list[float]], list[Any]]:
    if target not in header:
        raise SystemExit(f"the target column {target!r} is not in the header {header}")
    index = header.index(target)
    features = [[float(value) for i, value in enumerate(row) if i != index] for row in rows]
    labels: list[Any] = [row[index] for row in rows]
    if all(label.lstrip("-").isdigit() for label in labels):
        labels = [int(label) for label in labels]
    return features, labels


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from sklearn.tree import DecisionTreeClassifier

    header, rows = read_rows(args.training_data)
    validation_rows: list[list[str]] = []
    if args.validation_data:
        validation_header, validation_rows = read_rows(args.validation_data)
        if validation_header != header:
            raise SystemExit("the validation data has another header than the training data")
    if not validation_rows:
        rows = list(rows)
        random.Random(args.seed).shuffle(rows)
        cut = max(1, len(rows) // 5)
        validation_rows, rows = rows[:cut], rows[cut:]
    x_train, y_train = features_and_labels(header, rows, args.target_column)
    x_valid, y_valid = features_and_labels(header, validation_rows, args.target_column)

    model = DecisionTreeClassifier(
        max_depth=args.max_depth, min_samples_leaf=args.min_samples_leaf, random_state=args.seed
    )
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_valid, y_valid))
    print(f"trained on {len(x_train)} rows; {args.metric_tag}={accuracy:.4f} on {len(x_valid)} validation rows")

    import hypertune

    hypertune.HyperTune().report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag=args.metric_tag, metric_value=accuracy, global_step=1
    )

    import joblib

    with tempfile.TemporaryDirectory() as scratch:
        local_model = Path(scratch) / "model.joblib"
        joblib.dump(model, local_model)
        print(f"model written to {storage.upload(local_model, args.model_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
