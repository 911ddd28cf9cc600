"""The data behind datasets: CSV sources counted, import files read into data items, exports written.

- Tabular (and time-series) datasets take their rows from `metadata.inputConfig.gcsSource.uri` (CSV with a
  header row, wildcards allowed); creating one counts the rows (`dataItemCount`). BigQuery sources are not
  served here.
- Unstructured datasets get data items from ImportData: JSONL import files, one JSON object per line (e.g.
  `{"imageGcsUri": ..., "classificationAnnotation": {...}, "dataItemResourceLabels": {...}}`); the import
  config's `dataItemLabels` are added to each item's `dataItemResourceLabels`. An item whose content URI (or
  text) is already in the dataset is not added twice: its labels are merged into the existing one.
- ExportData writes `<dir>/data-00000-of-00001.{jsonl,csv}`, or with a fraction or filter split
  `training-`, `validation-` and `test-00000-of-00001.{jsonl,csv}`.

Problems are the execution package's `ExecutionError`s (their `code` is the operation's error code).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vertex_emulator.execution import (
    InvalidSpecError,
    ObjectNotFoundError,
    ObjectStore,
    UnsupportedError,
    expand_uris,
    join_uri,
    read_csv_rows,
    read_jsonl_items,
    split_items,
    split_rows,
)

JsonDict = dict[str, Any]
BIGQUERY_UNSUPPORTED = "BigQuery sources are not supported by the local emulator; use CSV files in gs:// instead."
_CONTENT_KEYS = ("imageGcsUri", "textGcsUri", "videoGcsUri", "gcsUri", "textContent")
_LABELS = "dataItemResourceLabels"


def source_uris(metadata: Mapping[str, Any]) -> list[str]:
    """The CSV URIs of a tabular dataset's metadata; UnsupportedError for a BigQuery source."""
    input_config = metadata.get("inputConfig", {})
    if "bigquerySource" in input_config:
        raise UnsupportedError(BIGQUERY_UNSUPPORTED)
    uris = input_config.get("gcsSource", {}).get("uri", [])
    return [uris] if isinstance(uris, str) else list(uris)


def count_rows(store: ObjectStore, uris: Sequence[str]) -> int | None:
    """Data rows of the CSV files (header rows excluded); None when a file cannot be read yet (a dataset may be
    created before its files are uploaded: training then says what is missing)."""
    try:
        files = expand_uris(store, list(uris))
    except ValueError:
        return None
    if not files:
        return None
    rows = 0
    for uri in files:
        try:
            stream = store.open_read(uri)
        except (FileNotFoundError, ValueError):
            return None
        with io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            try:
                next(reader, None)
                rows += sum(1 for row in reader if row)
            except (csv.Error, UnicodeDecodeError):
                return None
    return rows


def read_import_files(store: ObjectStore, configs: Iterable[Mapping[str, Any]]) -> list[JsonDict]:
    """The data items of every import config's JSONL files, with the config's dataItemLabels applied."""
    items: list[JsonDict] = []
    for config in configs:
        uris = config.get("gcsSource", {}).get("uris", [])
        if not expand_uris(store, list(uris)):
            raise ObjectNotFoundError(f"No import file matches {uris}")
        labels = {str(k): str(v) for k, v in (config.get("dataItemLabels") or {}).items()}
        for item in read_jsonl_items(store, uris):
            if labels:
                item = {**item, _LABELS: {**labels, **(item.get(_LABELS) or {})}}
            items.append(item)
    return items


def merge_items(existing: Sequence[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[JsonDict]:
    """`existing` plus the new items; an item with the same content as one already there merges its labels."""
    merged = [dict(item) for item in existing]
    index = {key: position for position, item in enumerate(merged) if (key := _content_key(item)) is not None}
    for item in new:
        key = _content_key(item)
        if key is not None and key in index:
            old = merged[index[key]]
            merged[index[key]] = {**old, _LABELS: {**(old.get(_LABELS) or {}), **(item.get(_LABELS) or {})}}
            continue
        if key is not None:
            index[key] = len(merged)
        merged.append(dict(item))
    return merged


def _content_key(item: Mapping[str, Any]) -> str | None:
    for key in _CONTENT_KEYS:
        if isinstance(item.get(key), str):
            return f"{key}:{item[key]}"
    return None


def export(
    store: ObjectStore,
    dataset: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    export_config: Mapping[str, Any],
    directory: str,
    tabular: bool,
) -> JsonDict:
    """Write the dataset's data under `directory`; the ExportDataResponse (exportedFiles, dataStats)."""
    split_config = {k: v for k, v in export_config.items() if k in ("fractionSplit", "filterSplit")}
    if tabular:
        header, rows = read_csv_rows(store, source_uris(dataset.get("metadata") or {}))
        if not split_config:
            return {"exportedFiles": [_write_csv(store, join_uri(directory, "data-00000-of-00001.csv"), header, rows)]}
        split = split_rows(rows, split_config)
        files = [
            _write_csv(store, join_uri(directory, f"{name}-00000-of-00001.csv"), header, part)
            for name, part in split.sets().items()
        ]
        return {"exportedFiles": files, "dataStats": _stats(split.sets())}
    if not items:
        raise InvalidSpecError("The dataset has no data items to export; import some with ImportData first.")
    if not split_config:
        return {"exportedFiles": [_write_jsonl(store, join_uri(directory, "data-00000-of-00001.jsonl"), items)]}
    item_split = split_items(list(items), split_config)
    files = [
        _write_jsonl(store, join_uri(directory, f"{name}-00000-of-00001.jsonl"), part)
        for name, part in item_split.sets().items()
    ]
    return {"exportedFiles": files, "dataStats": _stats(item_split.sets())}


def _stats(sets: Mapping[str, Sequence[Any]]) -> JsonDict:
    return {f"{name}DataItemsCount": str(len(part)) for name, part in sets.items()}


def _write_csv(store: ObjectStore, uri: str, header: list[str], rows: Sequence[Mapping[str, str]]) -> str:
    with store.open_write(uri) as stream, io.TextIOWrapper(stream, encoding="utf-8", newline="") as text:
        writer = csv.DictWriter(text, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return uri


def _write_jsonl(store: ObjectStore, uri: str, items: Sequence[Mapping[str, Any]]) -> str:
    with store.open_write(uri) as stream:
        stream.write("".join(json.dumps(item) + "\n" for item in items).encode("utf-8"))
    return uri
