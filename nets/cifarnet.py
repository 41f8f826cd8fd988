"""CifarNet: the small CIFAR-10 convnet of TensorFlow's CIFAR-10 tutorial, with
TF-Slim's API and names.

Two 5x5 convolutions with max pools and local response normalization, then
two fully connected layers and the logits.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry


def _lrn(net, name):
  # The tutorial's normalization: radius 4 over channels.
  return tf.nn.lrn(net, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75, name=name)


def cifarnet_arg_scope(weight_decay=0.004):
  """Defaults for CifarNet: ReLU everywhere; unregularized convolutions, L2
  decay and biases 0.1 for the fully connected layers.

  Args:
    weight_decay: L2 decay of the fully connected weights.

  Returns:
    A `scopes.Scope`.
  """
  return scopes.merge(
      scopes.scope_for([slim.conv2d], weights_initializer=scopes.trunc_normal(5e-2),
                       activation_fn=tf.nn.relu),
      scopes.scope_for([slim.fully_connected],
                       biases_initializer=tf.compat.v1.constant_initializer(0.1),
                       weights_initializer=scopes.trunc_normal(0.04),
                       weights_regularizer=scopes.l2_regularizer(weight_decay),
                       activation_fn=tf.nn.relu))


@registry.register(arg_scope=cifarnet_arg_scope, num_classes=1001, preprocessing='cifarnet',
                   logits_scopes=('CifarNet/logits',), default_image_size=32)
def cifarnet(images,
             num_classes=10,
             is_training=False,
             dropout_keep_prob=0.5,
             prediction_fn=slim.softmax,
             scope='CifarNet',
             reuse=None):
  """CifarNet; build it under `cifarnet_arg_scope()`.

  Args:
    images: a float tensor [batch, 32, 32, 3] (the fully connected layers fix
      the input size).
    num_classes: outputs of the logits layer; 0 or None returns the fc4
      features.
    is_training: dropout is active when True.
    dropout_keep_prob: keep probability of the dropout after fc3.
    prediction_fn: turns the logits into the 'Predictions' end point.
    scope: the top variable scope.
    reuse: reuse the variables of an earlier call under the same scope.

  Returns:
    (logits, end_points): logits [batch, num_classes] (the features when
    num_classes is 0), and a dict of intermediate activations ('conv1',
    'pool1', ..., 'Logits', 'Predictions').
  """
  end_points = {}
  with tf.compat.v1.variable_scope(scope, 'CifarNet', [images], reuse=reuse):
    net = end_points['conv1'] = slim.conv2d(images, 64, [5, 5], scope='conv1')
    net = end_points['pool1'] = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
    net = _lrn(net, 'norm1')
    net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
    net = _lrn(net, 'norm2')  # before the pool here, as in the tutorial
    net = end_points['pool2'] = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    net = end_points['Flatten'] = slim.flatten(net)
    net = end_points['fc3'] = slim.fully_connected(net, 384, scope='fc3')
    net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope='dropout3')
    net = end_points['fc4'] = slim.fully_connected(net, 192, scope='fc4')
    if not num_classes:
      return net, end_points
    logits = end_points['Logits'] = slim.fully_connected(
        net, num_classes, biases_initializer=tf.compat.v1.zeros_initializer(),
        weights_initializer=scopes.trunc_normal(1 / 192.0), weights_regularizer=None,
        activation_fn=None, scope='logits')
    end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points
