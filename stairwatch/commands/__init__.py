"""Sub-commands of ``stairwatch``: each module has ``register(subparsers)``; the parser's ``func`` runs it."""
