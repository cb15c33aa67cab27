"""Organisations, their box office connections (secrets encrypted) and data-sharing grants."""
