"""The tasks domain."""
