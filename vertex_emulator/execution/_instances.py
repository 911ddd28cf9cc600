"""Batch prediction input, streamed: instances from jsonl, csv, file-list and tf-record files in storage,
transformed by instanceConfig, each ready with the start of its output line.

Every input instance becomes exactly one ``Instance``: either ``model_input`` to predict, or an ``error``.
Line formats (jsonl, csv) can also be cut into blocks of whole records (``InstanceReader.blocks``) that a
``RecordParser`` in a replica process turns into instances, so replicas share one input without reading it all.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import math
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, NamedTuple, Protocol

from google.rpc import code_pb2

from ._errors import InvalidSpecError, UnsupportedError
from ._object_store import ObjectStore, expand_uris

FORMATS = ("jsonl", "csv", "file-list", "tf-record", "tf-record-gzip")
BLOCK_FORMATS = ("jsonl", "csv")


class Instance(NamedTuple):
    """``output_head``: the output line up to the prediction, e.g. ``{"instance": [1, 2], "prediction": ``;
    ``echo``: the instance (or key) as JSON text, for the errors file."""

    output_head: str
    echo: str
    model_input: Any
    error: str | None


class InstanceReader:
    """Iterate to get every instance of every input file, in order. ``partial_failures`` collects files that
    could not be read (google.rpc.Status dicts); ``files_read`` counts the ones that could."""

    def __init__(
        self, store: ObjectStore, uris: Sequence[str], instances_format: str, instance_config: Mapping[str, Any]
    ) -> None:
        if instances_format == "bigquery":
            raise UnsupportedError("BigQuery sources are not supported by the local emulator; use gs:// files.")
        if instances_format not in FORMATS:
            raise InvalidSpecError(f"instancesFormat must be one of {FORMATS}, not {instances_format!r}")
        self._store = store
        self._uris = uris
        self._format = instances_format
        self._parser = RecordParser(instances_format, instance_config)
        self._transform = self._parser.transform
        self.partial_failures: list[dict[str, Any]] = []
        self.files_read = 0

    def __iter__(self) -> Iterator[Instance]:
        for stream in self._streams():
            with stream:
                yield from self._read(stream)

    def blocks(self, block_bytes: int) -> Iterator[tuple[list[str] | None, bytes]]:
        """Every input file as ``(csv header or None, bytes of whole records)`` blocks of about ``block_bytes``,
        for ``RecordParser.parse`` (jsonl and csv only)."""
        if self._format not in BLOCK_FORMATS:
            raise UnsupportedError(f"instancesFormat {self._format!r} cannot be read in blocks")
        quoted = self._format == "csv"
        for stream in self._streams():
            with stream:
                header: list[str] | None = None
                for block in _record_blocks(stream, block_bytes, quoted=quoted):
                    if quoted and header is None:  # the first record of a csv file is its header
                        end = _record_ends(block, quoted=True, first=True)
                        text = block[:end].decode("utf-8-sig", "replace")
                        header = next(csv.reader(io.StringIO(text, newline="")), [])
                        block = block[end:]
                    if block:
                        yield header, block

    def _streams(self) -> Iterator[BinaryIO]:
        for uri in expand_uris(self._store, list(self._uris)):
            try:
                stream = self._store.open_read(uri)
            except FileNotFoundError:
                self.partial_failures.append({"code": code_pb2.NOT_FOUND, "message": f"{uri} does not exist"})
                continue
            self.files_read += 1
            yield stream

    def _read(self, stream: BinaryIO) -> Iterator[Instance]:
        transform = self._transform
        if self._format in BLOCK_FORMATS:
            yield from self._parser.parse(stream)
        elif self._format == "file-list":
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
            for line in text:
                if line.strip():
                    yield self._file_instance(line.strip())
        else:
            source: _Readable = gzip.GzipFile(fileobj=stream) if self._format == "tf-record-gzip" else stream
            for record in _tf_records(source):
                yield transform.from_value({"b64": base64.b64encode(record).decode()})

    def _file_instance(self, uri: str) -> Instance:
        try:
            with self._store.open_read(uri) as content:
                data = content.read()
        except FileNotFoundError:
            echo = json.dumps(uri)
            return Instance("", echo, None, f"{uri} does not exist")
        return self._transform.from_value({"b64": base64.b64encode(data).decode()})


class RecordParser:
    """Instances of jsonl lines or csv rows, from a whole file or from a block of ``InstanceReader.blocks``."""

    def __init__(self, instances_format: str, instance_config: Mapping[str, Any]) -> None:
        self.format = instances_format
        self.transform = _Transform(instance_config, instances_format)

    def parse(self, stream: BinaryIO, header: Sequence[str] | None = None) -> Iterator[Instance]:
        """``header``: a csv block's header (None: the stream starts with it)."""
        transform = self.transform
        if self.format == "jsonl":
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace")
            for line in text:
                raw = line.strip()
                if raw:
                    yield transform.from_json_text(raw)
            return
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        columns = list(header) if header is not None else next(reader, [])
        for row in reader:
            if row:
                yield transform.from_csv_row(columns, row)


def _record_blocks(stream: BinaryIO, block_bytes: int, *, quoted: bool) -> Iterator[bytes]:
    """The stream in blocks of whole records (lines; for csv, newlines outside quotes end records)."""
    carry = b""
    while True:
        chunk = stream.read(block_bytes)
        if not chunk:
            if carry:
                yield carry
            return
        data = carry + chunk if carry else chunk
        end = _record_ends(data, quoted=quoted, first=False)
        if end:  # else a record longer than a block: read on
            yield data[:end]
        carry = data[end:]


def _record_ends(data: bytes, *, quoted: bool, first: bool) -> int:
    """The offset after the last (``first``: the first) newline of ``data`` that ends a record; 0 if none.

    ``data`` starts at a record boundary. In csv (RFC 4180) a newline ends a record when the quotes before it
    are balanced; an escaped quote ``""`` counts twice, so counting quotes is enough.
    """
    if not quoted or b'"' not in data:
        if first:
            return data.find(b"\n") + 1 or len(data)
        return data.rfind(b"\n") + 1
    if first:
        position = data.find(b"\n")
        while position >= 0:
            if data.count(b'"', 0, position) % 2 == 0:
                return position + 1
            position = data.find(b"\n", position + 1)
        return len(data)
    position = data.rfind(b"\n")
    while position >= 0:
        if data.count(b'"', 0, position) % 2 == 0:
            return position + 1
        position = data.rfind(b"\n", 0, position)
    return 0


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _tf_records(stream: _Readable) -> Iterator[bytes]:
    """TFRecord framing: uint64 length, uint32 length CRC, data, uint32 data CRC (CRCs not checked)."""
    while True:
        header = stream.read(12)
        if len(header) < 12:
            return
        (length,) = struct.unpack("<Q", header[:8])
        data = stream.read(length)
        stream.read(4)
        if len(data) < length:
            return
        yield data


class _Transform:
    """instanceConfig: instanceType (object|array), keyField, includedFields, excludedFields."""

    def __init__(self, config: Mapping[str, Any], instances_format: str) -> None:
        self.instance_type = config.get("instanceType", "")
        if self.instance_type not in ("", "object", "array"):
            raise InvalidSpecError(f"instanceConfig.instanceType must be object or array, not {self.instance_type!r}")
        self.key_field = config.get("keyField", "")
        self.included = list(config.get("includedFields", []))
        self.excluded = set(config.get("excludedFields", []))
        if self.included and self.excluded:
            raise InvalidSpecError("instanceConfig: set includedFields or excludedFields, not both")
        self.identity = not (self.instance_type or self.key_field or self.included or self.excluded)
        self.csv_as_array = instances_format == "csv"

    def from_json_text(self, raw: str) -> Instance:
        try:
            value = json.loads(raw)
        except ValueError as error:
            return Instance("", json.dumps(raw), None, f"The line is not valid JSON: {error}")
        if self.identity:  # the common case: echo the line as it is, no re-serialization
            return Instance(f'{{"instance": {raw}, "prediction": ', raw, value, None)
        return self.from_value(value, raw)

    def from_csv_row(self, header: Sequence[str], row: Sequence[str]) -> Instance:
        if len(row) != len(header):
            return Instance("", json.dumps(row), None, f"The row has {len(row)} values, the header {len(header)}")
        values = [_csv_value(cell) for cell in row]
        return self.from_value(dict(zip(header, values, strict=True)), json.dumps(values))

    def from_value(self, value: Any, raw: str | None = None) -> Instance:
        echo = raw if raw is not None else json.dumps(value)
        if not isinstance(value, dict):
            if self.instance_type == "object" or self.key_field or self.included or self.excluded:
                return Instance("", echo, None, "instanceConfig needs each instance to be a JSON object")
            return Instance(f'{{"instance": {echo}, "prediction": ', echo, value, None)
        try:
            model_input = self._shape(value)
        except KeyError as missing:
            return Instance("", echo, None, f"The instance has no field {missing}")
        if self.key_field:
            key = json.dumps(value[self.key_field])
            return Instance(f'{{"key": {key}, "prediction": ', key, model_input, None)
        return Instance(f'{{"instance": {echo}, "prediction": ', echo, model_input, None)

    def _shape(self, value: dict[str, Any]) -> Any:
        fields = self.included or [f for f in value if f not in self.excluded and f != self.key_field]
        if self.instance_type == "array" or (self.csv_as_array and self.instance_type != "object"):
            return [value[f] for f in fields]
        return {f: value[f] for f in fields}


def _csv_value(text: str) -> Any:
    """CSV cells arrive as text; numbers become numbers so numeric models can use them."""
    converters: tuple[Callable[[str], Any], ...] = (int, float)
    for convert in converters:
        try:
            value = convert(text)
        except ValueError:
            continue
        return value if math.isfinite(value) else text
    return text
