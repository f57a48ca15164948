"""The fetch stage: GET one article URL through the safe, polite :class:`~newsmill.fetch.Fetcher` and
return the decoded page as a :class:`Document` (the pipeline's counterpart of ``newsmill.load``).

The fetcher does the network work (SSRF guard, robots.txt, per-host rate limit, redirects, deadline,
size caps, conditional GET); this stage adds what belongs to the pipeline: remembering where a
deferred fetch resumes, decoding to ``str`` (header charset, then ``<meta>``, then detection) and the
article id and provenance.
"""

from __future__ import annotations

from newsmill import __version__
from newsmill.decode import decode_html
from newsmill.fetch.fetcher import FetchDeferred, Fetcher
from newsmill.ids import id_for_url
from newsmill.record import Document, StageRun, WorkItem

VERSION = f"newsmill-fetch {__version__}"

__all__ = ["VERSION", "fetch_url"]


def fetch_url(item: WorkItem, *, fetcher: Fetcher) -> Document:
    """Fetch ``item``'s URL; raises ``Drop``, ``Failure``, ``Retryable``, ``Deferred`` (host over its
    budget: run again later) or ``Unchanged`` (a 304 to a conditional re-fetch)."""
    url = item.source.location
    job_id, input_key = item.job_id, item.source.key
    # Taken, not read: if this attempt dies, the next one starts over (and reserves a new slot).
    resume = fetcher.resumes.take(job_id, input_key)
    try:
        fetched = fetcher.fetch(url, kind="page", resume=resume, conditional=True)
    except FetchDeferred as deferred:
        fetcher.resumes.put(job_id, input_key, deferred.resume)
        raise
    text = decode_html(fetched.body, declared_charset=fetched.charset)
    run = StageRun(stage="fetch", version=VERSION)
    return Document(
        item=item,
        # The id comes from the URL as enqueued, so the producer knows it before anything is fetched.
        id=id_for_url(url),
        content_kind="html",
        body=text,
        url=fetched.url,
        provenance=(run,),
    )
