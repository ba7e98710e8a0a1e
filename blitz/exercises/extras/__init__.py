"""The exercise `extras`: its probes, checks and hints."""
