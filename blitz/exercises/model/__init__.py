"""The exercise `model`: its probes, checks and hints."""
