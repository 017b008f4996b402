"""Settings that the verification path reads on every request, copied out of `django.conf.settings`.

Each `settings.X` goes through `LazySettings.__getattribute__` (a Python-level call); under load
the verification path spent about 17 µs a request on ten of them. A `Snapshot` holds plain
attributes instead and reloads them whenever Django's `setting_changed` signal names one of them:
`override_settings` and pytest-django's `settings` fixture send it, and nothing in production
changes settings after start-up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed


class Snapshot:
    def __init__(self, *names: str) -> None:
        self.__dict__["_names"] = frozenset(names)
        self.reload()
        setting_changed.connect(self._changed, weak=False)

    def reload(self) -> None:
        for name in self._names:
            self.__dict__[name] = getattr(settings, name)

    def _changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting in self._names:
            self.reload()

    def __getattr__(self, name: str) -> Any:
        # Only reached for a name the snapshot does not hold (held ones are plain attributes).
        raise AttributeError(f"{name} is not in this settings snapshot")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a settings snapshot is read-only: change django.conf.settings (override_settings)")
