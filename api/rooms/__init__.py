"""Live project rooms (contract §5): the /ws endpoint, the broker, presence and typing.

`api.rooms.publisher` is framework-free so that the export worker can import it alone.
"""
