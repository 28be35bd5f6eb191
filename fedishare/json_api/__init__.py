"""fedishare's own JSON API for apps and pages: listings, responses, follow requests."""
