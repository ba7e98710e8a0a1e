"""One package per exercise, everything that is code of it together: ``<id>/probes.py`` (what runs next to
the student's code), ``<id>/checks.py`` (what is judged, on the trusted side), ``<id>/hints.py`` (each
check's hint ladder). ``common`` holds the probes several exercises share.
"""
