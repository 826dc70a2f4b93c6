import json
from decimal import Decimal
from enum import StrEnum

import numpy as np

from selective_speaker.json_values import json_safe


class Colour(StrEnum):
    RED = "red"


def test_it_makes_engine_output_storable_as_json():
    value = {
        "score": np.float32(0.5),
        "count": np.int64(3),
        "flag": np.bool_(True),
        "vector": np.array([1.0, np.nan]),
        "nested": [(1, float("inf")), {"d": Decimal("1.5")}],
        "decision": Colour.RED,
        "none": None,
    }
    safe = json_safe(value)
    assert safe == {
        "score": 0.5,
        "count": 3,
        "flag": True,
        "vector": [1.0, None],
        "nested": [[1, None], {"d": 1.5}],
        "decision": "red",
        "none": None,
    }
    json.dumps(safe, allow_nan=False)
