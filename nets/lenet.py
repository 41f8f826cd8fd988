"""LeNet: a LeNet-5 style MNIST convnet (two 5x5 convolutions with max pools,
one hidden fully connected layer) with TF-Slim's API and names."""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry


def lenet_arg_scope(weight_decay=0.0):
  """Defaults for LeNet: ReLU, L2 decay and truncated normal (0.1) weights for
  convolutions and fully connected layers.

  Args:
    weight_decay: L2 decay of the weights; 0 adds no loss.

  Returns:
    A `scopes.Scope`.
  """
  return scopes.scope_for(
      [slim.conv2d, slim.fully_connected],
      weights_regularizer=scopes.l2_regularizer(weight_decay),
      weights_initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1),
      activation_fn=tf.nn.relu)


@registry.register(arg_scope=lenet_arg_scope, num_classes=1001, preprocessing='lenet',
                   logits_scopes=('LeNet/fc4',), default_image_size=28)
def lenet(images,
          num_classes=10,
          is_training=False,
          dropout_keep_prob=0.5,
          prediction_fn=slim.softmax,
          scope='LeNet',
          reuse=None):
  """LeNet; build it under `lenet_arg_scope()`.

  Args:
    images: a float tensor [batch, 28, 28, channels] (the fully connected
      layers fix the input size).
    num_classes: outputs of the logits layer fc4; 0 or None returns the fc3
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
  with tf.compat.v1.variable_scope(scope, 'LeNet', [images], reuse=reuse):
    net = end_points['conv1'] = slim.conv2d(images, 32, [5, 5], scope='conv1')
    net = end_points['pool1'] = slim.max_pool2d(net, [2, 2], 2, scope='pool1')
    net = end_points['conv2'] = slim.conv2d(net, 64, [5, 5], scope='conv2')
    net = end_points['pool2'] = slim.max_pool2d(net, [2, 2], 2, scope='pool2')
    net = end_points['Flatten'] = slim.flatten(net)
    net = end_points['fc3'] = slim.fully_connected(net, 1024, scope='fc3')
    if not num_classes:
      return net, end_points
    net = end_points['dropout3'] = slim.dropout(
        net, dropout_keep_prob, is_training=is_training, scope='dropout3')
    logits = end_points['Logits'] = slim.fully_connected(
        net, num_classes, activation_fn=None, scope='fc4')
  end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points
