"""The student's commands: list, check, hint, watch, reset, doctor, report, download.

- ``cli`` — the subcommands;
- ``state`` — where the student stands: each exercise's state, the folder's memory, the next exercise;
- ``paths`` — the exercises folder, an exercise's file, paths as the student types them;
- ``render`` — what the student reads: marks, check results, headings, the next step;
- ``watch`` — re-check on every save;
- ``doctor`` — is the install and the data all right;
- ``report`` and ``plots`` — train the student's pipeline and draw what it learned (matplotlib).
"""
