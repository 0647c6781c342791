"""Domains: one folder each with its schemas, service and controller."""
