"""The background workers of one instance, run beside the web server or on their own."""
