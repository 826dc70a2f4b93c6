"""Building blocks shared by the apps' DRF APIs: error bodies, fields, pagination."""
