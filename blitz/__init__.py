"""blitz: learn PyTorch in 60 minutes, test-driven.

The kit's layout, one exercise id naming everything of it:
``exercises/<id>.py`` (stub), ``solutions/<id>.py`` (reference), ``autograder/test_<id>.py``
(checks), its hints in :mod:`blitz.registry`, its notebook ``notebooks/<id>.ipynb``.
"""

__version__ = "0.1.0"
