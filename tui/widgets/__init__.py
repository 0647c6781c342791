"""Taskroom's own widgets: the task column (Line API), presence bar and connection indicator."""
