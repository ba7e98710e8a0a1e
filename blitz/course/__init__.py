"""What the course is: the exercise registry, the two languages, MNIST on disk, PyTorch errors, terminal text
and the progress bars (tqdm).

The bottom layer: it imports nothing else of the kit.
"""
