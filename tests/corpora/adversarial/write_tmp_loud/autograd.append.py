
# Write outside its own folder, and do not hide the failure.
with open("/tmp/blitz-pwned-@@MARKER@@-loud", "w") as _f:
    _f.write("pwned")
