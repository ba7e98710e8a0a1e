
# Leave without any cleanup (no exception to catch) at import.
import os

os._exit(0)
