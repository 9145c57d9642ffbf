"""Treatment sessions and the operator's command line."""
