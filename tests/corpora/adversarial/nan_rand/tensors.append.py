# All-NaN "random" tensors: NaN < 0 and NaN >= 1 are both False, so a range check alone lets them by.
def ones_and_rand_like(t):
    return torch.ones_like(t), torch.full(t.shape, float("nan"))


def rand_ones_zeros(shape):
    return torch.full(shape, float("nan")), torch.ones(shape), torch.zeros(shape)
