

def sgd_step(params, lr):
    blocks = []
    while True:  # touch every page, so this is real memory, not just address space
        blocks.append(bytearray(64 << 20))
