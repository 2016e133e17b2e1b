"""Petitions: see service.py for the operations and schemas.py for the public types."""
