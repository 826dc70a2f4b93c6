"""The owner's own settings for the pages: one row per user, made when first saved."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from account.time_zones import TIME_ZONE_MAX_LENGTH, time_zone_validator


class AccountSettings(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_settings")
    # IANA name the owner's pages show times and days in; "" = not chosen (the server's TIME_ZONE)
    time_zone = models.CharField(max_length=TIME_ZONE_MAX_LENGTH, blank=True, validators=[time_zone_validator])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account settings"
        verbose_name_plural = "account settings"

    def __str__(self) -> str:
        return f"Settings of {self.user}"
