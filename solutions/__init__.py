"""Reference solutions: the single source of the stubs in exercises/ and of the notebooks."""
