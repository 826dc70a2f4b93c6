"""Make engine and geocoder output storable in a JSONField on every database.

PostgreSQL's jsonb refuses NaN and Infinity and the json module knows no numpy types; the
engine's audit records and timings may hold both.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import Enum
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """A copy of `value` with numpy values made plain, non-finite floats made None."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)
