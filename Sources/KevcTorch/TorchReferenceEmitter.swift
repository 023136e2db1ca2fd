// The PyTorch float64 reference emitter (being written).
