"""TF-Slim's classification losses, which training minimizes and evaluation reports."""

import tensorflow as tf

AUX_LOSS_WEIGHT = 0.4  # TF-Slim's weight of Inception's auxiliary classifier


def classification_loss(labels, logits, num_classes, label_smoothing):
  """Per-example softmax cross-entropy with TF-Slim's label smoothing."""
  onehot = tf.one_hot(labels, num_classes, dtype=tf.float32)
  if label_smoothing:
    onehot = onehot * (1.0 - label_smoothing) + label_smoothing / num_classes
  return tf.nn.softmax_cross_entropy_with_logits(onehot, tf.cast(logits, tf.float32))


def training_loss(labels, logits, end_points, num_classes, label_smoothing):
  """Per-example loss of a training step: the logits' and, where the net has one
  (Inception), its auxiliary classifier's at AUX_LOSS_WEIGHT."""
  per_example = classification_loss(labels, logits, num_classes, label_smoothing)
  if 'AuxLogits' in end_points:
    per_example += AUX_LOSS_WEIGHT * classification_loss(
        labels, end_points['AuxLogits'], num_classes, label_smoothing)
  return per_example
