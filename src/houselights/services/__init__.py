"""Use cases shared by the CLI, the REST API and the scheduler (thin shells call these)."""
