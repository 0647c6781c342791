"""The checklist domain: items on a task, each its own row (contract §9).

Its own folder rather than part of tasks: an item is addressed by its own id
(`/api/checklist/{id}`) and written one row at a time, never as a versioned PATCH of its task,
so two people ticking two items at once both stick. Each write still bumps its task's
`version` and is a `task:updated` with the whole task, so boards apply it like any edit.
"""
