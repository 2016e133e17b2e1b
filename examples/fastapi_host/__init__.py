"""Example: a gemeente's FastAPI site that mounts participatie under ``/meedoen``."""
