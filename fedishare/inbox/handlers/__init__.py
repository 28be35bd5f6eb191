"""One module per family of activity; importing this package registers them all."""
