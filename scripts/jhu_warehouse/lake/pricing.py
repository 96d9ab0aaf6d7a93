"""What a lake's requests cost on S3 Standard: the request prices, and a plan's total.

Prices of S3 Standard in us-east-1 (aws.amazon.com/s3/pricing, request pricing): PUT, COPY, POST
and LIST requests cost $0.005 per 1,000; GET, SELECT, HEAD and the others $0.0004 per 1,000;
DELETE is free. Data going into S3 is free, and so is data going out to a reader in the same
region; storage is not a request and is left out. The free tier gives 2,000 PUT/COPY/POST/LIST
and 20,000 GET requests a month: a first load of ~2,200 files goes over it.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Dollars per request, by verb; a verb not listed costs as a GET.
PRICE_PER_REQUEST = {
    "PUT": 0.005 / 1000,
    "COPY": 0.005 / 1000,
    "POST": 0.005 / 1000,
    "LIST": 0.005 / 1000,
    "GET": 0.0004 / 1000,
    "HEAD": 0.0004 / 1000,
    "DELETE": 0.0,
}
#: The free tier's monthly requests (PUT/COPY/POST/LIST together, and GET).
FREE_TIER_PUTS = 2000
FREE_TIER_GETS = 20000


def request_cost(requests: Mapping[str, int]) -> float:
    """Dollars the requests cost at S3 Standard prices (verbs as S3 names them: PUT, GET, ...)."""
    return sum(
        count * PRICE_PER_REQUEST.get(verb, PRICE_PER_REQUEST["GET"])
        for verb, count in requests.items()
    )
