"""microlearn host tools: datasets, training, quantization, model files, targets."""
