"""The names of the values each train step logs: model.py logs them, progress.py shows them (no TensorFlow here)."""

LOSS = "loss"
LEARNING_RATE = "learning_rate"
ACCURACY = "accuracy"  # over every class: the full head
# Under Partial FC, over the classes the step scored (the batch's own and the sampled others): a
# choice among about `partial_fc_rate` of the classes, so it reads higher than the full head's
# accuracy would. It spares the step a product with every class center.
SAMPLED_ACCURACY = "sampled_accuracy"
