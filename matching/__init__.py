"""Matching: the pure-Python engine lives in ``matching.engine``; Django adapters sit beside it."""
