"""Persistence: domain records, the repository ports, and their SQLModel implementation."""
