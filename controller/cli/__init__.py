"""The `traction` command line."""
