"""Taskroom."""
