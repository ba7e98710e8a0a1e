"""The exercise `evaluate`: its probes, checks and hints."""
