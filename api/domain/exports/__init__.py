"""Exports: one project to a file in the export dir."""
