"""Loopback fakes of the platform APIs (and the Telegram Bot API) with fault injection."""
