"""Rules, event lifecycle, store, scheduling and notifiers."""
