"""Uploaded files: one store for every feature (requests, answers, publications, designation scans)."""
