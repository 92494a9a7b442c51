"""BayesianRouter's Python package: the client of ``bayesrouter serve`` and the trainers' plugins (standard library only).

    from bayesrouter import BayesianRouterClient
    client = BayesianRouterClient("http://127.0.0.1:8080", token=open("token.txt").read().strip())

``bayesrouter.client`` holds the client; ``bayesrouter.integrations`` the plugins for the trainers people use.
"""

from .client import (
    RETRY_STATUSES,
    BayesianRouterClient,
    BayesianRouterError,
    LabelIncompleteError,
    PairwiseJudge,
    ServiceUnavailableError,
)

__all__ = [
    "BayesianRouterClient",
    "BayesianRouterError",
    "ServiceUnavailableError",
    "LabelIncompleteError",
    "PairwiseJudge",
    "RETRY_STATUSES",
]
