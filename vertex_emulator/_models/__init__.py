"""Domain logic of each resource kind (record shaping, checks beyond the proto), one module per kind.

Handlers (`vertex_emulator._handlers`) stay request-in/reply-out and call into these modules.
"""
