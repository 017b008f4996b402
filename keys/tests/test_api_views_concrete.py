"""Every routed credential API view fills in the hooks of its base (keys.core.api).

`CredentialListCreate.create` and `CredentialRotate.answer` are abstract: a kind's view that
forgets one could not be instantiated, so its endpoint would answer 500 on every request.
"""

from __future__ import annotations

import inspect

from django.urls import URLPattern, URLResolver, get_resolver

from keys.core.api import CredentialListCreate, CredentialRotate


def _view_classes(patterns):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _view_classes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            if view_class is not None:
                yield view_class


def test_every_routed_credential_view_is_concrete() -> None:
    views = {cls for cls in _view_classes(get_resolver().url_patterns)}
    bases = [cls for cls in views if issubclass(cls, (CredentialListCreate, CredentialRotate))]
    assert len(bases) >= 6  # four collections, two rotate views
    assert [cls.__name__ for cls in bases if inspect.isabstract(cls)] == []


def test_a_kind_view_without_its_hook_is_abstract() -> None:
    class Forgetful(CredentialRotate):
        pass

    assert inspect.isabstract(Forgetful)
