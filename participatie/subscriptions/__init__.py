"""Residents following wijken, topics, dossiers and petitions: double opt-in, events
from the audit log, immediate mails and digests, one-click unsubscribe."""
