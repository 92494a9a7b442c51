"""Plugins that let trainers ask ``bayesrouter serve`` for rewards in their own call shapes."""
