"""The REST API (FastAPI) under ``/api/v1``, and the dashboard it serves.

Build it with :func:`create_app`; tokens are managed with :mod:`houselights.api.tokens`.
"""

from houselights.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
