"""Every registered model built and run on seeded weights, for the TF1-behaviour
test: `python tests/tf1_build_worker.py OUT.json` does it under
`tf.compat.v1.disable_v2_behavior()` (v1 shapes of `Dimension`s, reference
variables, v1 control flow) and writes what it saw; test_tf1_behaviour.py
imports `build` to do the same in TensorFlow's default mode and compares."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [p for p in (os.path.dirname(HERE), HERE) if p not in sys.path]
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import engine  # noqa: E402,F401 - oneDNN as the binaries and the tests have it
import nets_reference as ref  # noqa: E402
import seeded_weights  # noqa: E402
import tensorflow as tf  # noqa: E402

from nets import registry  # noqa: E402

# The smallest input size at which each net gives [1, num_classes] logits;
# those missing take their default size (a fixed pooling or a 'VALID' classifier).
SMALLEST_SIZE = {
    'i3d': 32, 'inception_resnet_v2': 128, 'inception_v2': 32, 'inception_v3': 128,
    'inception_v4': 128, 'nasnet_large': 32, 'nasnet_mobile': 32, 'pnasnet_large': 32,
    'pnasnet_mobile': 32, 's3dg': 32,
}
SMALL_FAMILIES = ('mobilenet', 'resnet')  # every one of them takes 32
# Models also built through engine.Network (the TF2 wrapper) in the child.
NETWORK_MODELS = ('mobilenet_v3_small', 'inception_v2', 'resnet_v2_50')


def input_size(spec):
  if spec.name.startswith(SMALL_FAMILIES):
    return 32
  return SMALLEST_SIZE.get(spec.name, spec.default_image_size)


def build(name, wrapper=False):
  """`name` built in a fresh graph through the registry (or `engine.Network`),
  its weights seeded by variable name, run on a seeded image.

  Returns:
    ({variable name: shape}, logits as a list).
  """
  spec = registry.get(name)
  shape = spec.input_shape(1, input_size(spec))
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, shape)
    if wrapper:
      logits, _ = engine.Network.from_registry(name)(images)
    else:
      logits, _ = registry.get_network_fn(name, num_classes=spec.num_classes)(images)
    variables = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    with tf.compat.v1.Session() as sess:
      seeded_weights.assign_in_session(sess, graph)
      out = sess.run(logits, {images: ref.images(shape)})
  return {v.op.name: v.shape.as_list() for v in variables}, out.tolist()


def main(path):
  tf.compat.v1.disable_v2_behavior()
  behaviour = {
      'dimension': type(tf.TensorShape([1])[0]).__name__,
      'resource_variables': tf.compat.v1.resource_variables_enabled(),
      'control_flow_v2': tf.compat.v1.control_flow_v2_enabled(),
      'eager': tf.executing_eagerly(),
  }
  models = {name: build(name) for name in registry.list_models()}
  network = {name: build(name, wrapper=True) for name in NETWORK_MODELS}
  with open(path, 'w') as f:
    json.dump({'behaviour': behaviour, 'models': models, 'network': network}, f)


if __name__ == '__main__':
  main(sys.argv[1])
