"""Scheduling: APScheduler wiring from job specs, intervals with jitter, and backoff."""
