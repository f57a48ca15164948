"""Watching feeds and sitemaps: each source re-polled on its interval, with conditional GET, jitter and
back-off, its new article URLs enqueued once (``newsmill watch``; see docs/watch.md)."""
