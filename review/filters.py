"""List filters of the staff review list."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F

from enrollment.models import DecisionReview


class VerdictFilter(admin.SimpleListFilter):
    """Pending items by default: the list opens as a work queue."""

    title = "verdict"
    parameter_name = "verdict"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in DecisionReview.Verdict.choices] + [(self.ALL, "All")]

    def value(self):
        return super().value() or DecisionReview.Verdict.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(verdict=self.value())


class SimilarityBandFilter(admin.SimpleListFilter):
    """Where in the uncertain band [threshold − margin, threshold) the region scored, relative
    to the threshold and margin it was decided with."""

    title = "similarity"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [
            ("upper", "Upper third (nearly the owner)"),
            ("middle", "Middle third"),
            ("lower", "Lower third (nearly another voice)"),
            ("unscored", "No score"),
        ]

    def queryset(self, request, queryset):
        upper = F("threshold") - F("margin") / 3
        lower = F("threshold") - F("margin") * 2 / 3
        match self.value():
            case "upper":
                return queryset.filter(similarity__gte=upper)
            case "middle":
                return queryset.filter(similarity__lt=upper, similarity__gte=lower)
            case "lower":
                return queryset.filter(similarity__lt=lower)
            case "unscored":
                return queryset.filter(similarity__isnull=True)
        return queryset


class AudioKeptFilter(admin.SimpleListFilter):
    title = "audio"
    parameter_name = "audio"

    def lookups(self, request, model_admin):
        return [("kept", "Kept (can be played)"), ("gone", "No longer kept")]

    def queryset(self, request, queryset):
        match self.value():
            case "kept":
                return queryset.exclude(chunk__audio="")
            case "gone":
                return queryset.filter(chunk__audio="")
        return queryset
