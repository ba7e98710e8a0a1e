# NaN slips past "abs(got - expected) > tol" (it is False): the grader must refuse it first. The loop
# itself is the reference's (eval mode, no grad, every batch), so only the NaN is wrong.
_reference_accuracy = accuracy


def accuracy(model, loader, device="cpu"):
    _reference_accuracy(model, loader, device)
    return float("nan")
