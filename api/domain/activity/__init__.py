"""The activity domain: every committed change of a project, as history (contract §8)."""
