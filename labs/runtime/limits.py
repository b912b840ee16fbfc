"""HTTP limits and reason phrases the ALB applies (spec §4.3), shared by both sides."""

from labs.engine.errors import LbError

CONNECT_TIMEOUT = 10.0  # lab seconds, fixed by AWS (spec §4.2)
URL_LIMIT = 16 * 1024  # request line over 16 K ⇒ 414 (spec §4.3)
HEADER_LIMIT = 16 * 1024  # one header ⇒ 400
HEADERS_LIMIT = 64 * 1024  # all headers ⇒ 400
RESPONSE_HEADERS_LIMIT = 32 * 1024  # a target's response headers ⇒ 502
TRANSFER_CODINGS = (b"chunked", b"identity")  # anything else ⇒ 501
REASONS = {
    200: b"OK",
    301: b"Moved Permanently",
    302: b"Found",
    400: b"Bad Request",
    401: b"Authorization Required",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Time-out",
    413: b"Request Entity Too Large",
    414: b"Request-URI Too Large",
    463: b"",
    464: b"",
    500: b"Internal Server Error",
    501: b"Not Implemented",
    502: b"Bad Gateway",
    503: b"Service Temporarily Unavailable",
    504: b"Gateway Time-out",
    505: b"HTTP Version Not Supported",
    561: b"Unauthorized",
}


class Refused(Exception):
    """Raised from a parser callback: the message breaks a limit; answer ``error``."""

    def __init__(self, error: LbError) -> None:
        self.error = error
