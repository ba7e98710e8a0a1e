"""The exercise `train`: its probes, checks and hints."""
