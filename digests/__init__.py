"""Digests, agendas, charts and statistical process control (their issue builds them)."""
