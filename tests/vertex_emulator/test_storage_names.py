"""Generated names through google-cloud-storage: distinct names stay distinct objects, and listing is GCS's."""

from __future__ import annotations

import itertools

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vertex_emulator import Emulator

_buckets = itertools.count()


def _valid(name: str) -> bool:
    return (
        1 <= len(name.encode("utf-8")) <= 1024
        and name not in (".", "..")
        and not name.startswith(".well-known/acme-challenge/")
    )


# Any Unicode but surrogates, CR and LF, biased towards the characters paths treat specially.
names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=40),
    st.lists(st.sampled_from(["/", ".", "..", "a", "\\", "%", " ", "\x00", "é"]), min_size=1, max_size=12).map("".join),
    st.text(st.sampled_from("ab/"), min_size=250, max_size=1024),
).filter(_valid)


@pytest.fixture
def client(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> gcs.Client:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
    return gcs.Client(project="test-project", credentials=AnonymousCredentials())


def _fresh_bucket(client: gcs.Client) -> gcs.Bucket:
    return client.create_bucket(f"names-{next(_buckets)}")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(names, min_size=1, max_size=6, unique=True))
def test_distinct_names_are_distinct_objects(client: gcs.Client, emulator: Emulator, batch: list[str]) -> None:
    bucket = _fresh_bucket(client)
    for index, name in enumerate(batch):
        bucket.blob(name).upload_from_string(f"{index}".encode() + name.encode("utf-8"))
    for index, name in enumerate(batch):
        expected = f"{index}".encode() + name.encode("utf-8")
        assert bucket.blob(name).download_as_bytes() == expected
        assert emulator.storage.read_bytes(f"gs://{bucket.name}/{name}") == expected
    assert sorted(blob.name for blob in bucket.list_blobs()) == sorted(batch)


def _reference(names: list[str], prefix: str, delimiter: str, trailing: bool) -> tuple[list[str], list[str]]:
    """GCS's listing, written plainly: items and prefixes in name order."""
    items, prefixes = [], []
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        at = name.find(delimiter, len(prefix)) if delimiter else -1
        if at >= 0:
            rolled = name[: at + len(delimiter)]
            if rolled not in prefixes:
                prefixes.append(rolled)
            if not (trailing and name == rolled):
                continue
        items.append(name)
    return items, prefixes


small_names = st.text(st.sampled_from("ab/."), min_size=1, max_size=6).filter(_valid)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(small_names, min_size=0, max_size=25, unique=True),
    st.text(st.sampled_from("ab/"), max_size=2),
    st.sampled_from(["", "/", "a", "//", "b/"]),
    st.booleans(),
    st.integers(min_value=1, max_value=7),
)
def test_listing_matches_gcs(
    client: gcs.Client, names_: list[str], prefix: str, delimiter: str, trailing: bool, page_size: int
) -> None:
    bucket = _fresh_bucket(client)
    for name in names_:
        bucket.blob(name).upload_from_string(b"")
    listing = client.list_blobs(bucket.name, prefix=prefix or None, delimiter=delimiter or None,
                                include_trailing_delimiter=trailing or None, page_size=page_size)  # fmt: skip
    items: list[str] = []
    prefixes: list[str] = []
    for page in listing.pages:
        page_items = [blob.name for blob in page]
        assert len(page_items) + len(page.prefixes) <= max(page_size, 2)  # an item and its own prefix stay together
        items += page_items
        prefixes += sorted(page.prefixes)
    expected_items, expected_prefixes = _reference(names_, prefix, delimiter, trailing)
    assert items == expected_items
    assert sorted(prefixes) == expected_prefixes  # and each prefix on one page only
