"""GCS's naming rules for buckets and objects, and `gs://` URIs.

Objects (https://cloud.google.com/storage/docs/objects#naming): any valid Unicode of 1-1,024 bytes as UTF-8,
without CR or LF, not `.` or `..`, not under `.well-known/acme-challenge/`. Nothing else is special: `a/./y`,
`a//y`, `/a/y` and `a/y/` are five different objects from `a/y`, because no name ever becomes a file path here.

Buckets (https://cloud.google.com/storage/docs/buckets#naming): lowercase letters, digits, `-`, `_` and `.`;
starting and ending with a letter or digit; 3-63 characters, or up to 222 with dots where each dot-separated
part is at most 63 (so no `..`); not an IPv4 address in dotted-decimal; not starting with `goog`, not
containing `google`.
"""

from __future__ import annotations

import re

from vertex_emulator._gcs_errors import InvalidObjectName

MAX_OBJECT_NAME_BYTES = 1024
_SCHEME = "gs://"
_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]")
_DOTTED_DECIMAL = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_MAX_BUCKET = 63
_MAX_DOTTED_BUCKET = 222
_ACME = ".well-known/acme-challenge/"


def bucket_problem(name: str) -> str | None:
    """Why `name` is not a valid bucket name, or None if it is."""
    if not 3 <= len(name) <= _MAX_DOTTED_BUCKET or _BUCKET_CHARS.fullmatch(name) is None:
        return "3-63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    parts = name.split(".")
    if len(parts) == 1 and len(name) > _MAX_BUCKET:
        return "at most 63 characters (222 with dots)"
    if any(not 1 <= len(part) <= _MAX_BUCKET for part in parts):
        return "each dot-separated part has 1-63 characters"
    if _DOTTED_DECIMAL.fullmatch(name):
        return "not an IP address"
    if name.startswith("goog") or "google" in name:
        return "not starting with 'goog' nor containing 'google'"
    return None


def check_bucket_name(name: str) -> str:
    problem = bucket_problem(name)
    if problem is not None:
        raise InvalidObjectName(f"Invalid bucket name: {name!r} (a bucket name has {problem}).")
    return name


def check_object_name(name: str) -> str:
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidObjectName(f"The object name {name!r} is not valid Unicode.") from None
    if not 1 <= size <= MAX_OBJECT_NAME_BYTES:
        raise InvalidObjectName(f"An object name has 1-1024 bytes in UTF-8, not {size}.")
    if "\r" in name or "\n" in name:
        raise InvalidObjectName(f"The object name {name!r} contains a carriage return or line feed.")
    if name in (".", "..") or name.startswith(_ACME):
        raise InvalidObjectName(f"The object name {name!r} is reserved.")
    return name


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/name` -> ("bucket", "name"): a valid bucket; the name may be empty (a bucket or prefix)."""
    if not uri.startswith(_SCHEME):
        raise InvalidObjectName(f"not a gs:// URI: {uri!r}")
    bucket, _, name = uri[len(_SCHEME) :].partition("/")
    check_bucket_name(bucket)
    return bucket, name


def object_uri(bucket: str, name: str) -> str:
    return f"{_SCHEME}{bucket}/{name}"
