"""TF-Slim's classification losses, which training minimizes and evaluation reports."""

import tensorflow as tf

AUX_LOSS_WEIGHT = 0.4  # TF-Slim's weight of Inception's auxiliary classifier


def classification_loss(labels, logits, num_classes, label_smoothing):
  """Per-example softmax cross-entropy with TF-Slim's label smoothing.

  `labels` are class ids [batch], or soft labels [batch, num_classes] (Mixup's and CutMix's,
  rows summing to 1). Smoothing a soft label, target * (1 - s) + s / num_classes, equals
  mixing the smoothed one-hot labels as timm's Mixup does."""
  if labels.shape.rank == 2:
    target = tf.cast(labels, tf.float32)
  else:
    target = tf.one_hot(labels, num_classes, dtype=tf.float32)
  if label_smoothing:
    target = target * (1.0 - label_smoothing) + label_smoothing / num_classes
  return tf.nn.softmax_cross_entropy_with_logits(target, tf.cast(logits, tf.float32))


def dominant_labels(labels):
  """The class ids that training accuracy counts against: `labels` themselves, or each soft
  label's largest class (the image that covers the most of a mixed one)."""
  if labels.shape.rank == 2:
    return tf.argmax(labels, axis=-1, output_type=tf.int64)
  return labels


def training_loss(labels, logits, end_points, num_classes, label_smoothing):
  """Per-example loss of a training step: the logits' and, where the net has one
  (Inception), its auxiliary classifier's at AUX_LOSS_WEIGHT."""
  per_example = classification_loss(labels, logits, num_classes, label_smoothing)
  if 'AuxLogits' in end_points:
    per_example += AUX_LOSS_WEIGHT * classification_loss(
        labels, end_points['AuxLogits'], num_classes, label_smoothing)
  return per_example
