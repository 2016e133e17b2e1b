"""HTTP layer, the optional ``web`` extra: the FastAPI app a host mounts (JSON API,
resident pages, widget, feeds). Only this package imports the web framework.
"""

from __future__ import annotations

from participatie.web.app import create_app
from participatie.web.backoffice import StaffUser, create_backoffice
from participatie.web.common import Authorize

__all__ = ["Authorize", "StaffUser", "create_app", "create_backoffice"]
