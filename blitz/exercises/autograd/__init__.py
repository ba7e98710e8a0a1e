"""The exercise `autograd`: its probes, checks and hints."""
