"""The labels domain: a project's named colours, put on its tasks (contract §9)."""
