"""Admin URLs as the admin itself builds them.

The admin escapes primary keys with `admin.utils.quote`: `_` becomes `_5F`, and on the way back
`_3B` would turn into `;`. A prefixed id such as `msg_3Bxw…` pasted raw into a URL therefore points
at another row one time in a few hundred, so tests must never format admin URLs by hand.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.db.models import Model
from django.urls import reverse


def admin_change_url(obj: Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[quote(obj.pk)])
