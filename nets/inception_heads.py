"""Inception's classifier heads: what v2-v4 and Inception-ResNet-v2 put on top
of the base (`nets.inception_blocks` builds the base from its tables).

The scope and end-point names are the official checkpoints' own.
"""

import tensorflow as tf
import tf_slim as slim

from nets.inception_blocks import reduced_kernel_size_for_small_input


def pooled_classifier(net, end_points, num_classes, pool_kernel, dropout_keep_prob,
                      spatial_squeeze, global_pool, global_pool_name, prediction_fn):
  """Inception v2's and v3's classifier.

  In scope Logits: average-pools the features (the whole map with
  `global_pool`, else `pool_kernel` clipped for small inputs), then dropout
  and a 1x1 convolution to `num_classes`. Fills `end_points` (AvgPool_1a or
  global_pool, PreLogits, then Logits and Predictions, `prediction_fn` of the
  logits, outside the Logits scope, where TF-Slim names their ops).

  Returns:
    The logits, or the pooled features when `num_classes` is 0 or None.
  """
  with tf.compat.v1.variable_scope('Logits'):
    if global_pool:
      net = tf.reduce_mean(net, [1, 2], keepdims=True, name=global_pool_name)
      end_points['global_pool'] = net
    else:
      kernel_size = reduced_kernel_size_for_small_input(net, pool_kernel)
      net = slim.avg_pool2d(net, kernel_size, padding='VALID',
                            scope='AvgPool_1a_{}x{}'.format(*kernel_size))
      end_points['AvgPool_1a'] = net
    if not num_classes:
      return net
    net = slim.dropout(net, keep_prob=dropout_keep_prob, scope='Dropout_1b')
    end_points['PreLogits'] = net
    logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                         normalizer_fn=None, scope='Conv2d_1c_1x1')
    if spatial_squeeze:
      logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
  end_points['Logits'] = logits
  end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits


def flat_classifier(net, end_points, num_classes, dropout_keep_prob, pool_scope,
                    aux_net=None, aux_scopes=None):
  """Inception v4's and Inception-ResNet-v2's classifier.

  With `aux_net` and `num_classes`, first the auxiliary classifier on
  `aux_net` in scope AuxLogits (`aux_scopes`: the scopes of its pool,
  its large convolution and its logits layer), end point AuxLogits. Then in
  scope Logits: an average pool over the whole map (a global mean when its
  size is unknown), flatten, dropout and a fully connected layer. Fills
  `end_points` (global_pool, PreLogitsFlatten, Logits, Predictions).

  Returns:
    The logits [batch, num_classes], or the pooled features when
    `num_classes` is 0 or None.
  """
  if aux_net is not None and num_classes:
    with tf.compat.v1.variable_scope('AuxLogits'):
      end_points['AuxLogits'] = _aux_logits(aux_net, num_classes, *aux_scopes)
  with tf.compat.v1.variable_scope('Logits'):
    kernel_size = net.shape[1:3]
    if kernel_size.is_fully_defined():
      net = slim.avg_pool2d(net, kernel_size, padding='VALID', scope=pool_scope)
    else:
      net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
    end_points['global_pool'] = net
    if not num_classes:
      return net
    net = slim.flatten(net, scope='PreLogitsFlatten')
    net = end_points['PreLogitsFlatten'] = slim.dropout(net, dropout_keep_prob,
                                                        scope='Dropout_1b')
    logits = end_points['Logits'] = slim.fully_connected(net, num_classes, activation_fn=None,
                                                         scope='Logits')
    end_points['Predictions'] = tf.nn.softmax(logits, name='Predictions')
    return logits


def _aux_logits(net, num_classes, pool_scope, conv_scope, logits_scope):
  """The auxiliary classifier of `flat_classifier`: a 5x5/3 average pool, a
  1x1 convolution to 128, a convolution to 768 as large as the map (5x5 at
  299x299 inputs), then a fully connected layer. The scope names are the two
  checkpoints' own.

  Returns:
    The auxiliary logits [batch, num_classes].
  """
  net = slim.avg_pool2d(net, 5, stride=3, padding='VALID', scope=pool_scope)
  net = slim.conv2d(net, 128, 1, scope='Conv2d_1b_1x1')
  net = slim.conv2d(net, 768, net.shape[1:3], padding='VALID', scope=conv_scope)
  return slim.fully_connected(slim.flatten(net), num_classes, activation_fn=None,
                              scope=logits_scope)
