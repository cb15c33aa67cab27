"""The web dashboard: Jinja2 page shells, a script reading ``/api/v1``, vendored Vega."""
