"""Weights drawn from a seed per variable name, so that two builds of a net (another
mode, another order of creation, a refactored module) get the same values.

The scale keeps the signal alive through 200 layers, so that the logits depend on the
input: kernels ~ N(0, 2/fan_in) (He's, for ReLU nets; a depthwise kernel's fan-in is its
window alone), batch-norm scales and variances near 1, shifts, biases and means near 0.
"""

import zlib

import numpy as np


def value(name, shape, dtype='float32'):
  """The value of variable `name` (without ':0') of `shape`."""
  rng = np.random.default_rng(zlib.crc32(name.encode('utf-8')))
  shape = [int(d) for d in shape]
  leaf = name.rsplit('/', 1)[-1]
  if leaf in ('moving_variance', 'gamma'):
    out = rng.uniform(0.5, 1.5, shape)
  elif leaf in ('beta', 'biases', 'bias', 'moving_mean') or len(shape) <= 1:
    out = rng.normal(0.0, 0.1, shape)
  else:
    window = shape[:-2] if leaf == 'depthwise_weights' else shape[:-1]
    fan_in = int(np.prod(window)) or 1
    out = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
  return out.astype(dtype)


def assign_in_session(session, graph):
  """Feeds every global variable of `graph` its seeded value in one run."""
  import tensorflow as tf
  feeds, assigns = {}, []
  with graph.as_default():
    for var in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES):
      placeholder = tf.compat.v1.placeholder(var.dtype.base_dtype, var.shape)
      feeds[placeholder] = value(var.op.name, var.shape.as_list(), var.dtype.base_dtype.name)
      assigns.append(tf.compat.v1.assign(var, placeholder))
  session.run(assigns, feeds)


def assign_eager(variables):
  """Assigns each of TF2 `variables` (tf.Variable) its seeded value."""
  for var in variables:
    var.assign(value(var.name.split(':')[0], var.shape.as_list(), var.dtype.name))
