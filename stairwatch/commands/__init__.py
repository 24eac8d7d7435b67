"""Sub-commands of ``stairwatch``.

Each module has ``register(subparsers)``; the parser's ``func`` runs it.
"""
