"""The arg_scope shared by Inception v1-v4."""

import tensorflow as tf
import tf_slim as slim

import scopes

# TF-Slim's Inception scope keeps the batch-norm statistics in this collection.
BATCH_NORM_VAR_COLLECTION = 'moving_vars'


def inception_arg_scope(weight_decay=0.00004,
                        use_batch_norm=True,
                        batch_norm_decay=0.9997,
                        batch_norm_epsilon=0.001,
                        activation_fn=tf.nn.relu,
                        batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
                        batch_norm_scale=False):
  """Defaults for Inception: conv + batch norm (no scale) + ReLU, L2 decay.

  Args:
    weight_decay: L2 decay of conv and fully connected weights.
    use_batch_norm: batch norm after each conv.
    batch_norm_decay: decay of the moving averages.
    batch_norm_epsilon: added to the variance.
    activation_fn: after each conv.
    batch_norm_updates_collections: where the moving-average updates go.
    batch_norm_scale: learn a gamma; the official checkpoints have none.

  Returns:
    A `scopes.Scope`.
  """
  # The arguments are layer_scope's, by name.
  return scopes.layer_scope(
      **locals(),
      weights_initializer=slim.variance_scaling_initializer(),
      batch_norm_variables_collections={
          'beta': None,
          'gamma': None,
          'moving_mean': [BATCH_NORM_VAR_COLLECTION],
          'moving_variance': [BATCH_NORM_VAR_COLLECTION],
      },
      regularize_also=[slim.fully_connected])
