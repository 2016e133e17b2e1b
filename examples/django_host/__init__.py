"""Example: Django views using participatie, which keeps its tables in Django's database."""
