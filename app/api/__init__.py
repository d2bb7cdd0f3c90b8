"""The JSON API under /api, one router per area, on the same services as the pages."""
