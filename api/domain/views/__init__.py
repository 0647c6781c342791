"""Saved views: a user's named filters (contract §9)."""
