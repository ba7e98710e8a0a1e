

def sgd_step(params, lr):
    import os

    os._exit(3)
