"""The board's keys as one table; the tooltip is what `?` and the palette say of each, and
`keys.toml` rebinds them by id (`board.<name>`)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

KEYS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    # (name, keys, action, footer label, tooltip, shown in the footer)
    ("new", "n", "new", "New", "New task in the focused column", True),
    ("edit", "e", "edit", "Edit", "Edit the task (enter works too)", True),
    ("delete", "d", "delete", "Del", "Delete the task (asks first)", True),
    ("move_left", "H", "move(-1)", "◀", "Move the task to the previous column", True),
    ("move_right", "L", "move(1)", "▶", "Move the task to the next column", True),
    ("reorder_up", "K", "reorder(-1)", "Up", "Move the task up in its column", False),
    ("reorder_down", "J", "reorder(1)", "Down", "Move the task down in its column", False),
    ("priority", "p", "priority", "Prio", "Cycle the priority", True),
    (
        "detail",
        "P",
        "toggle_detail",
        "Detail",
        "Show or hide the task's detail pane (description as markdown)",
        True,
    ),
    (
        "detail_tab",
        "t",
        "detail_tab",
        "Tab",
        "Detail pane: switch between the task's comments and its history",
        False,
    ),
    ("comment", "c", "comment", "Comment", "Comment on the task (markdown; ctrl+s sends)", False),
    (
        "external_editor",
        "E",
        "edit_description",
        "$EDITOR",
        "Edit the description in your $EDITOR (TASKROOM_EDITOR, VISUAL, EDITOR)",
        False,
    ),
    ("assign", "a", "assign", "Assign", "Assign to a member", False),
    ("undo", "u", "undo", "Undo", "Undo your own last change (a bulk change at once)", False),
    (
        "mark",
        "space",
        "mark",
        "Mark",
        "Mark or unmark the task: H L p a l d then act on every marked task at once",
        False,
    ),
    (
        "mark_range",
        "V",
        "mark_range",
        "Range",
        "Mark from the last task marked to the cursor (in the column or the list)",
        False,
    ),
    ("mark_all", "asterisk", "mark_all", "All", "Mark every task shown (the filter's)", False),
    ("labels", "l", "labels", "Labels", "Toggle labels on the task, or the marked ones", False),
    (
        "filter",
        "slash",
        "filter",
        "Filter",
        "Filter: text status:x priority:x @user assignee:none due:<date due:>date overdue",
        True,
    ),
    ("view", "v", "toggle_view", "List", "Board / sortable list", True),
    ("save_view", "S", "save_view", "Save view", "Save the filter as a named view", False),
    ("views", "w", "views", "Views", "Saved views: enter applies one, d deletes it", False),
    ("sort", "s", "sort", "Sort", "Next sort order of the list", False),
    ("inbox", "i", "app.inbox", "Inbox", "Your notifications, newest first (✉ n: unread)", False),
    ("members", "m", "members", "Team", "Members of the project", True),
    ("export", "x", "exports", "Export", "Exports of the project", True),
    ("refresh", "r", "refresh", "Refresh", "Reload the project from the server", False),
    ("left", "left,h", "column(-1)", "Left", "Focus the column on the left", False),
    ("right", "right", "column(1)", "Right", "Focus the column on the right (l: labels)", False),
    ("back", "q,escape", "back", "Back", "Clear the marks, else back to the projects", True),
)

BINDINGS: list[BindingType] = [
    Binding(keys, action, label, show=show, tooltip=tooltip, id=f"board.{name}")
    for name, keys, action, label, tooltip, show in KEYS
]
