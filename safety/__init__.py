"""Independent second safety layer (limits, monitor, command gate). Imports only the bridge."""
