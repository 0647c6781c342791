"""The SSH front door: `ssh -p 2222 host` lands a Taskroom user in their own TUI process."""
