"""Small query helpers shared by every app."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None.

    Unlike ``.first()`` it adds no ORDER BY: on the intake path, compiling a model's
    default ordering cost more than running such a lookup.
    """
    try:
        return queryset.get()
    except ObjectDoesNotExist:
        return None
