"""Talking to the dashboard in tests.

The dashboard answers only Host names it is reached by (DNS rebinding); TestClient's default
``testserver`` is none of them, so tests address it as an operator on the machine does.
"""

LOCAL = "http://localhost"
