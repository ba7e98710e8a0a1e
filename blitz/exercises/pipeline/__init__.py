"""The exercise `pipeline`: its probes, checks and hints."""
