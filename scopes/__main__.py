"""`python -m scopes`: show what a scope factory sets and what it changes.

    python -m scopes                      # layer_scope() with batch norm, as YAML
    python -m scopes --weight_decay=1e-4 --compare_weight_decay=4e-5
    python -m scopes demo                 # a small net built under a factory scope

The demo builds a small slim network under a factory scope, in TF1 graph mode,
and prints the scope, each layer's variables, and the regularization losses
the scope added: what arg_scope did, made visible.
"""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

flags.DEFINE_float('weight_decay', 4e-5, 'L2 weight decay of the scope.')
flags.DEFINE_float('compare_weight_decay', None,
                   'If set, print the diff against a scope with this decay.')
flags.DEFINE_bool('use_batch_norm', True, 'Batch norm after each conv.')
FLAGS = flags.FLAGS


def _scope(weight_decay):
  import tf_slim as slim

  import scopes
  return scopes.layer_scope(weight_decay=weight_decay,
                            use_batch_norm=FLAGS.use_batch_norm,
                            weights_initializer=slim.variance_scaling_initializer(),
                            regularize_also=[slim.fully_connected])


def _demo(scope):
  import tensorflow as tf
  import tf_slim as slim

  import scopes
  with tf.Graph().as_default() as graph:
    with scopes.arg_scope(scope):
      net = tf.compat.v1.placeholder(tf.float32, [None, 32, 32, 3])
      net = slim.conv2d(net, 16, [3, 3], scope='conv1')
      net = slim.max_pool2d(net, [2, 2], scope='pool1')
      net = slim.conv2d(net, 32, [3, 3], scope='conv2')
      net = slim.fully_connected(slim.flatten(net), 10, activation_fn=None,
                                 scope='logits')
    print('\nvariables the scope gave each layer:')
    for var in graph.get_collection('variables'):
      print('  %-32s %s' % (var.op.name, var.shape.as_list()))
    losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    print('regularization losses: %d; logits: %s' % (len(losses), net.shape))


def main(argv):
  import scopes
  if len(argv) > 2 or (len(argv) == 2 and argv[1] != 'demo'):
    sys.exit('usage: python -m scopes [demo] [--weight_decay=F] '
             '[--compare_weight_decay=F] [--use_batch_norm]')
  scope = _scope(FLAGS.weight_decay)
  print(scopes.to_yaml(scope), end='')
  if FLAGS.compare_weight_decay is not None:
    import yaml
    print('\ndiff against weight_decay=%g:' % FLAGS.compare_weight_decay)
    print(yaml.safe_dump(scopes.diff(scope, _scope(FLAGS.compare_weight_decay))),
          end='')
  if argv[1:] == ['demo']:
    _demo(scope)


if __name__ == '__main__':
  app.run(main)
