"""A dynamic provider that does nothing: the baseline of ``provider_preview.py``.

It lives in an importable module (not in the benchmark script, which runs as ``__main__``) so that dill pickles it
by reference, exactly as it pickles the Vertex providers, and the provider server imports it the same way.
Importing it has no side effects.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, DiffResult, ResourceProvider

__all__ = ["NoopProvider"]


class NoopProvider(ResourceProvider):
    """Check accepts the inputs as they are; Diff reports no change."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False, replaces=[], stables=[], delete_before_replace=False)
