"""The exercise `data`: its probes, checks and hints."""
