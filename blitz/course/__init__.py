"""What the course is: the exercise registry, the two languages, MNIST on disk, PyTorch errors, terminal text.

The bottom layer: it imports nothing else of the kit.
"""
