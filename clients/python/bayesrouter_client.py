"""Compatibility module: the client moved to the ``bayesrouter`` package (``from bayesrouter import BayesianRouterClient``)."""

from bayesrouter.client import *  # noqa: F401,F403
from bayesrouter.client import __all__  # noqa: F401
