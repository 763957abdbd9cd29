"""Salon connectors: one module per platform, the protocol in base.py."""
