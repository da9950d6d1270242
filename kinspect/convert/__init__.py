"""Converter core: exporters per target, verification, atomic writes. No Qt here."""
