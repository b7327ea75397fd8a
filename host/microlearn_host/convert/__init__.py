"""Float nn.Sequential -> int8 QModel: post-training quantization, QAT, pruning, persistence.

    from microlearn_host.convert import ptq
    qm = ptq.quantize(model, ds.x_train, class_names=ds.class_names)
"""
