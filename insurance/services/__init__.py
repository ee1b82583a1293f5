"""Writes of credit insurance: cover at issue (`cover`), the daily declarations and claims
(`batch`)."""
