// The Triton emitter: scheduled kernel IR to a Triton kernel module (being written).
