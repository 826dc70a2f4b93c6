"""Validators of values every app shares."""

from django.core.validators import RegexValidator

# A device's id, as the owner's phone or pendant names itself (chunks, enrollments, filters).
device_id_validator = RegexValidator(
    r"^[A-Za-z0-9._:-]{1,64}$",
    message="Use 1–64 characters: letters, digits, '.', '_', ':' or '-'.",
    code="invalid_device_id",
)
