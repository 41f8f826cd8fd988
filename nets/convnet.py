"""The builder shared by AlexNet v2, OverFeat and VGG.

Their layout is one family: a trunk of convolutions and max pools, given as
data (`Conv`, `Pool`), then fully connected layers written as convolutions:
fc6 covers the trunk's output, fc7 and fc8 are 1x1. On a larger input the nets
run fully convolutionally (with `spatial_squeeze=False`). At the default size
those layers compute as matrix products (`scopes.matmul_convolutions`), with the same
variables.
"""

import collections
import inspect

import tensorflow as tf
import tf_slim as slim

import scopes

# A convolution or a max pool; a padding of None keeps the arg_scope's.
Conv = collections.namedtuple('Conv', 'scope depth kernel stride padding',
                              defaults=(1, None))
Pool = collections.namedtuple('Pool', 'scope kernel stride padding',
                              defaults=(2, None))


def _apply(layer, net):
  padding = {'padding': layer.padding} if layer.padding else {}
  if isinstance(layer, Pool):
    return slim.max_pool2d(net, layer.kernel, layer.stride, scope=layer.scope, **padding)
  return slim.conv2d(net, layer.depth, layer.kernel, layer.stride, scope=layer.scope,
                     **padding)


class ConvNet(collections.namedtuple(
    'ConvNet', 'name trunk fc6 fc7_depth fc_defaults fc8_defaults')):
  """One net of the family, as data.

  Attributes:
    name: the default top scope.
    trunk: `Conv` and `Pool` layers, in order.
    fc6: the `Conv` that plays the first fully connected layer.
    fc7_depth: outputs of the 1x1 fc7.
    fc_defaults: `slim.conv2d` defaults for fc6, fc7 and fc8.
    fc8_defaults: further defaults for the logits layer fc8.
  """

  def build(self, inputs, num_classes, is_training, dropout_keep_prob,
            spatial_squeeze, scope, global_pool, reuse):
    """Builds the net; the arguments are those of `network_fn`'s functions.

    Returns:
      (logits, end_points), end points keyed by each layer's scope name
      ('<scope>/conv1', ..., '<scope>/fc8'), and 'global_pool' when pooled.
    """
    with tf.compat.v1.variable_scope(scope, self.name, [inputs], reuse=reuse) as sc:
      end_points = {}
      net = inputs
      for layer in self.trunk:
        net = end_points[sc.name + '/' + layer.scope] = _apply(layer, net)
      with scopes.arg_scope([slim.conv2d], **self.fc_defaults):
        net = end_points[sc.name + '/fc6'] = _apply(self.fc6, net)
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                           scope='dropout6')
        net = end_points[sc.name + '/fc7'] = slim.conv2d(
            net, self.fc7_depth, [1, 1], scope='fc7')
        if global_pool:
          net = end_points['global_pool'] = tf.reduce_mean(
              net, [1, 2], keepdims=True, name='global_pool')
        if not num_classes:
          return net, end_points
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                           scope='dropout7')
        net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                          normalizer_fn=None, scope='fc8', **self.fc8_defaults)
      if spatial_squeeze:
        net = tf.squeeze(net, [1, 2], name='fc8/squeezed')
      end_points[sc.name + '/fc8'] = net
      return net, end_points


# The Args and Returns of the family's network functions; `document` writes
# them in each function's parameter order.
ARG_DOCS = {
    'inputs': 'a float tensor [batch, height, width, 3].',
    'num_classes': 'outputs of fc8; 0 or None returns the fc7 features (before\n'
                   '      dropout7).',
    'is_training': 'dropout is active when True.',
    'dropout_keep_prob': 'keep probability of the dropout before fc7 and fc8.',
    'spatial_squeeze': 'squeeze the 1x1 spatial dimensions of the logits.',
    'reuse': 'reuse the variables of an earlier call under the same scope.',
    'scope': 'the top variable scope.',
    'global_pool': 'average fc7 over its spatial dimensions first.',
}
RETURNS_DOC = """(logits, end_points): logits [batch, num_classes] (or 4-D when not
    squeezed, or the features when num_classes is 0), and a dict of
    intermediate activations keyed by scope name ('<scope>/conv1', ...,
    '<scope>/fc8')."""


def document(fn, summary, **arg_docs):
  """Sets `fn.__doc__`: `summary`, then Args (from `ARG_DOCS`, or `arg_docs`
  for the arguments it lacks) in `fn`'s parameter order, then Returns."""
  docs = dict(ARG_DOCS, **arg_docs)
  args = ''.join('    %s: %s\n' % (name, docs[name]) for name in inspect.signature(fn).parameters)
  fn.__doc__ = '%s\n\n  Args:\n%s\n  Returns:\n    %s\n' % (summary, args, RETURNS_DOC)
  return fn


def network_fn(convnet, summary):
  """TF-Slim's network function of `convnet` (AlexNet v2's and OverFeat's
  signature), named `convnet.name` and with its top scope as the default
  `scope`; `summary` opens its docstring."""

  def fn(inputs,
         num_classes=1000,
         is_training=True,
         dropout_keep_prob=0.5,
         spatial_squeeze=True,
         scope=convnet.name,
         global_pool=False,
         reuse=None):
    return convnet.build(inputs, num_classes, is_training, dropout_keep_prob,
                         spatial_squeeze, scope, global_pool, reuse)

  fn.__name__ = fn.__qualname__ = convnet.name
  return document(fn, summary)


def classic_arg_scope(weight_decay, biases_initializer, pool_padding=None):
  """The defaults VGG, AlexNet and OverFeat share.

  Args:
    weight_decay: L2 decay of conv2d and fully_connected weights.
    biases_initializer: their biases.
    pool_padding: padding of max_pool2d, or None to leave it unset.

  Returns:
    A `scopes.Scope`: ReLU, the decay and the biases for both layers; SAME
    convolutions.
  """
  layers = [slim.conv2d, slim.fully_connected]
  parts = [
      scopes.scope_for(layers, activation_fn=tf.nn.relu,
                       weights_regularizer=scopes.l2_regularizer(weight_decay),
                       biases_initializer=biases_initializer),
      scopes.scope_for([slim.conv2d], padding='SAME'),
  ]
  if pool_padding:
    parts.append(scopes.scope_for([slim.max_pool2d], padding=pool_padding))
  return scopes.merge(*parts)


# AlexNet's and OverFeat's fully connected layers start from small weights and
# positive biases, the logits from zero biases.
FC_DEFAULTS = {'weights_initializer': scopes.trunc_normal(0.005),
                'biases_initializer': tf.compat.v1.constant_initializer(0.1)}
FC8_DEFAULTS = {'biases_initializer': tf.compat.v1.zeros_initializer()}
