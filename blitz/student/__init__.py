"""The student's commands: list, check, hint, watch, reset, doctor, report, download.

- ``cli`` — the subcommands;
- ``course`` — where the student stands (state, next exercise) and the words for it;
- ``watch`` — re-check on every save;
- ``doctor`` — is the install and the data all right;
- ``report`` and ``plots`` — train the student's pipeline and draw what it learned.
"""
