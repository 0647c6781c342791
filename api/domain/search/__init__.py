"""Search across every project of the caller (contract §9)."""
