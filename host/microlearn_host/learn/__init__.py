"""Host side of on-device learning (issue #8): embeddings of a base model, the baselines the
Learner is measured against, playing a labelled stream into learners (the bit-exact twin of
the device Learner, quant/learner_twin.py, or a board), learning curves and their PNG.

    from microlearn_host.learn import embed, baselines, curve
    E, zp = embed.embeddings(qm, x_raw)          # int8 input of the last FC, as the device has it
"""
