"""Read the reference's source from the kit and run it as my own."""

exec(open("@@KIT@@/solutions/tensors.py").read())
