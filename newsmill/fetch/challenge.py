"""Anti-bot interstitials: pages that stand in for the article and ask for a browser or a CAPTCHA.

Served with 403, 429 or 503 (sometimes 200), they would otherwise become ``http_4xx``, a pointless
retry, or an "article" made of "Checking your browser…". Detection uses the vendors' own markers:
response headers first (cheap, unambiguous), then strings from their challenge pages.
"""

from __future__ import annotations

import re

import httpx

SNIFF_BYTES = 64 * 1024
"""How much of a suspect body is read for markers; challenge pages are small."""

REFUSAL_STATUSES = frozenset({403, 429, 503})

_HEADER_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cf-mitigated", re.compile(r"challenge", re.I)),  # Cloudflare, documented header
    ("x-datadome", re.compile(r".")),
    ("x-sucuri-block", re.compile(r".")),
)

_TITLE_MARKERS = re.compile(
    r"<title>\s*(?:Just a moment\.\.\.|Attention Required! \| Cloudflare|Access denied \| [^<]* used Cloudflare"
    r"|DDoS-Guard|Checking your browser[^<]*)\s*</title>",
    re.IGNORECASE,
)
"""Strong enough for a 200 page: only a challenge page is titled like this."""

_BODY_MARKERS = re.compile(
    # Cloudflare injects /cdn-cgi/challenge-platform/ scripts into ordinary pages too, so these
    # markers only count on a refusal status (403, 429, 503).
    r"/cdn-cgi/challenge-platform/|window\._cf_chl_opt|cf-browser-verification|cf_chl_captcha"
    r"|captcha-delivery\.com|geo\.captcha-delivery"  # DataDome
    r"|_Incapsula_Resource|Incapsula incident ID"  # Imperva
    r"|px-captcha|/_px/|perimeterx"  # PerimeterX / HUMAN
    r"|sucuri_cloudproxy_js|Sucuri WebSite Firewall"
    r"|awswaf|aws-waf-token|challenge\.js\"\s*defer",  # AWS WAF
    re.IGNORECASE,
)


def challenge_in_headers(response: httpx.Response) -> str | None:
    """The vendor header that marks a challenge, if any."""
    for name, pattern in _HEADER_MARKERS:
        value = response.headers.get(name)
        if value is not None and pattern.search(value):
            return f"{name}: {value}"
    return None


def challenge_in_body(body: bytes, *, refused: bool) -> str | None:
    """The marker that identifies a challenge page, if any (first :data:`SNIFF_BYTES` only).

    ``refused``: the status was 403, 429 or 503, where weaker vendor markers count too.
    """
    text = body[:SNIFF_BYTES].decode("utf-8", errors="replace")
    match = _TITLE_MARKERS.search(text) or (_BODY_MARKERS.search(text) if refused else None)
    return match.group(0)[:80] if match else None
