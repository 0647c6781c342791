"""The comments domain: members talk about a task (contract §8)."""
