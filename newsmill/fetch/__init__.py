"""Fetching the web safely and politely: the SSRF guard, robots.txt, a per-host rate limit shared by
every worker through Redis, bounded bodies, conditional GET, and discovery from feeds and sitemaps.

Import from the module that holds a name (``newsmill.fetch.fetcher.Fetcher``): this package re-exports
nothing, so that reading ``newsmill.fetch.options`` (as the settings do in every process) does not load
httpx into workers that never fetch.
"""
