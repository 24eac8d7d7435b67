"""The safety rules, one module each. Every rule is a pure ``step(state, obs, ctx)`` returning
its new state and the event changes of that frame, plus ``flush(state, ts)``."""
