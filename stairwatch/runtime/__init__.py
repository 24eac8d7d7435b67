"""The thin threaded layer: readers, the inference worker, the service.

Decisions live elsewhere: in pure functions with explicit state.
"""
