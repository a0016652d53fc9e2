"""Deterministic demo data for the staffing platform (manage.py seed_demo): see build.py."""
