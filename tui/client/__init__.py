"""Talking to the Taskroom server: HTTP calls, the live websocket, and the local project state."""
