"""The notifications domain: mentions, the inbox, live frames and email (contract §8)."""
