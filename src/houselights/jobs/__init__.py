"""Scheduling: run syncs when due, in one process or in many workers on many machines."""
