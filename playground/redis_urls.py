"""One Redis URL feeds the channel layer and the Celery broker.

redis-py (and so channels-redis) spells a unix socket ``unix:///path?db=N``; kombu
spells the same server ``redis+socket:///path?virtual_host=N``. Everything else passes
through unchanged.
"""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def broker_url(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    query = parse_qs(parts.query)
    db = query.pop("db", ["0"])[0]
    query["virtual_host"] = [db]
    # Spelled out: urlunsplit drops the "//" of schemes it does not know.
    return f"redis+socket://{parts.path}?{urlencode(query, doseq=True)}"


def with_db(redis_url: str, db: int) -> str:
    """The same server, another database number (tests keep their keys apart)."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = parse_qs(parts.query)
        query["db"] = [str(db)]
        return f"unix://{parts.path}?{urlencode(query, doseq=True)}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))
