"""Field rules shared by several specs (GCP label syntax, URI schemes, name lengths)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from ..errors import Problem

MAX_DISPLAY_NAME = 128
MAX_LABELS = 64
_LABEL_KEY = re.compile(r"^[\w-]{1,63}$", re.UNICODE)
_LABEL_VALUE = re.compile(r"^[\w-]{0,63}$", re.UNICODE)
NOT_KNOWN_YET = "unknown-until-apply"
"""Stands for a value a Pulumi preview does not know yet; format rules let it pass (its own rules run at apply)."""
MODEL_ID = re.compile(r"^[a-z_][a-z0-9_-]{0,62}$")


def label_problems(labels: Mapping[str, str] | None, field: str = "labels") -> Iterator[Problem]:
    """GCP label rules: at most 64; keys start with a lowercase letter; lowercase letters, digits, _ and -."""
    if not labels:
        return
    if len(labels) > MAX_LABELS:
        yield Problem((field,), f"at most {MAX_LABELS} labels are allowed, got {len(labels)}")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not key[0].isalpha() or key != key.lower():
            yield Problem(
                (field, key),
                "label keys are 1-63 characters, start with a lowercase letter and use only lowercase "
                "letters, digits, '_' and '-'",
            )
        if not _LABEL_VALUE.match(value) or value != value.lower():
            yield Problem(
                (field, key),
                "label values are at most 63 characters of lowercase letters, digits, '_' and '-'",
            )


def uri_problems(uris: Iterable[str] | str | None, scheme: str, path: tuple[str | int, ...]) -> Iterator[Problem]:
    """Each URI must start with ``scheme`` (``gs://`` or ``bq://``) and name something after it."""
    if uris is None:
        return
    if isinstance(uris, str):
        if uris == NOT_KNOWN_YET:
            return
        if not uris.startswith(scheme) or len(uris) <= len(scheme):
            yield Problem(path, f"must be a {scheme} URI, got {uris!r}")
        return
    for index, uri in enumerate(uris):
        yield from uri_problems(uri, scheme, (*path, index))


def display_name_problems(name: str | None, path: tuple[str | int, ...] = ("display_name",)) -> Iterator[Problem]:
    if name is None:
        return
    if not name.strip():
        yield Problem(path, "must not be empty")
    elif len(name) > MAX_DISPLAY_NAME:
        yield Problem(path, f"at most {MAX_DISPLAY_NAME} characters, got {len(name)}")


def exactly_one(
    model_fields: Mapping[str, object], names: Iterable[str], path: tuple[str | int, ...] = ()
) -> Iterator[Problem]:
    names = list(names)
    given = [name for name in names if model_fields.get(name) is not None]
    if len(given) != 1:
        listed = " or ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + " or " + names[-1]
        found = f" (got {', '.join(given)})" if given else ""
        yield Problem(path, f"set exactly one of {listed}{found}")
