"""What the net tests compare against: the manifests of the official TF-Slim
checkpoints (../shared/manifests) and builds of our nets in TF1 graph mode."""

import functools
import json
import os

import numpy as np
import tensorflow as tf

from nets import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFESTS = os.environ.get('SCOPEZOO_MANIFESTS',
                           os.path.join(ROOT, '..', 'shared', 'manifests'))


@functools.lru_cache(maxsize=None)
def manifest(name):
  path = os.path.join(MANIFESTS, name + '.json')
  if not os.path.exists(path):
    raise FileNotFoundError(
        'no manifest for %s at %s; set SCOPEZOO_MANIFESTS to the folder of '
        'the TF-Slim variable manifests' % (name, path))
  with open(path) as f:
    return json.load(f)


def has_manifest(name):
  return os.path.exists(os.path.join(MANIFESTS, name + '.json'))


def input_shape(name, batch=1, size=None):
  return registry.get(name).input_shape(batch, size)


def images(shape, seed=0):
  return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def variables(graph):
  """`[[name, shape, dtype]]` of a graph's global variables, sorted."""
  return sorted([v.op.name, v.shape.as_list(), v.dtype.base_dtype.name]
                for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES))


# Weight decay of the reference builds: not zero, so that regularization
# losses exist to compare.
WEIGHT_DECAY = 1e-4


def build(name, num_classes, is_training=False, batch=1, size=None, **kwargs):
  """A fresh graph with the net built on a placeholder, at WEIGHT_DECAY.

  Returns: (graph, images placeholder, logits, end_points).
  """
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(1)
    inputs = tf.compat.v1.placeholder(tf.float32, input_shape(name, batch, size))
    network_fn = registry.get_network_fn(name, num_classes=num_classes,
                                         weight_decay=WEIGHT_DECAY,
                                         is_training=is_training)
    logits, end_points = network_fn(inputs, **kwargs)
  return graph, inputs, logits, end_points


def static_shape(tensor):
  return [d if d is not None else -1 for d in tensor.shape.as_list()]
