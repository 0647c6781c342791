"""One parser per import format (contract §10): a file in, numbered rows of task fields out."""

from __future__ import annotations

from api.domain.imports.entries import Parser
from api.domain.imports.parsers import csv, taskroom_json, trello

PARSERS: dict[str, Parser] = {
    "taskroom-json": taskroom_json.parse,
    "csv": csv.parse,
    "trello": trello.parse,
}
# What the CLI guesses from a file's extension.
EXTENSIONS = {".json": "taskroom-json", ".csv": "csv"}
