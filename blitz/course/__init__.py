"""What the course is: the exercise registry, the two languages, MNIST on disk, PyTorch errors, terminal text,
the progress bars (tqdm) and what every figure shares (matplotlib: the Chinese font, PNG metadata).

The bottom layer: it imports nothing else of the kit.
"""
