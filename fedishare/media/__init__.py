"""Photos: decoded and re-encoded so that nothing but their pixels is ever served, resized,
and stored under the instance's media directory."""
