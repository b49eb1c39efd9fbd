"""Digests, agendas, charts and statistical process control: spc.py now; the rest with its issue."""
