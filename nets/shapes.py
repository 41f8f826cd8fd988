"""Static sizes of a tensor as Python ints, whatever TensorFlow's behaviour.

Under `tf.compat.v1.disable_v2_behavior()` a `TensorShape` holds `Dimension`
objects, which do not mix with floats (`Dimension + 0.5` raises); the nets read
sizes through here so that both modes see the same ints.
"""


def static_shape(tensor):
  """`tensor`'s sizes as a list of ints, None where unknown."""
  return tensor.shape.as_list()


def channels(tensor):
  """The size of `tensor`'s last axis, an int; a clear error when unknown
  (channel counts set the variables' shapes, so they must be static)."""
  shape = static_shape(tensor)
  if not shape or shape[-1] is None:
    raise ValueError('a tensor of shape %s has no known number of channels (last axis); '
                     'give the net an input with static channels' % shape)
  return shape[-1]
