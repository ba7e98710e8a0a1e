"""The exercise `tensors`: its probes, checks and hints."""
