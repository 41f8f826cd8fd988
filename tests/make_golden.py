"""Golden values: what every registered net computes today, pinned so that no refactor changes it.

Each model is built in a fresh graph at a small input, given weights drawn from a seed per
variable name (seeded_weights) and a fixed input, and its logits, a few end points' statistics
and a digest of its variable names and shapes are recorded in tests/data/golden/golden.json;
tests/test_golden.py rebuilds and compares, and test_tf1_behaviour.py does the same under
`disable_v2_behavior()`.

    python tests/make_golden.py                 # every model missing from the file
    python tests/make_golden.py 'resnet_v1*'    # these models, recomputed by today's code

Recomputing a model accepts whatever its code computes now: do it for a new model, or for a change
to its numbers that is meant and said in the commit.
"""

import hashlib
import json
import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
for path in (ROOT, TESTS):
  if path not in sys.path:
    sys.path.insert(0, path)

import engine  # noqa: E402 - first: oneDNN as the binaries and the test suite have it
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import seeded_weights  # noqa: E402
from nets import registry  # noqa: E402

GOLDEN = os.path.join(TESTS, 'data', 'golden', 'golden.json')
NUM_CLASSES = 7
INPUT_SEED = 0

# Input height and width: near the smallest each net accepts, and where a stride-32 net still
# ends at 2x2, so that every tap of a 3x3 kernel meets the image (at 1x1 only the centre does).
SIZES = {
    'alexnet_v2': 224, 'overfeat': 231, 'vgg_a': 224, 'vgg_16': 224, 'vgg_19': 224,  # fixed fc6
    'inception_v1': 224,  # its 7x7 average pool is not reduced for small inputs
    'inception_v3': 112, 'inception_v4': 112, 'inception_resnet_v2': 112,  # VALID stems
    'cifarnet': 32, 'lenet': 28, 'nasnet_cifar': 32,  # their own sizes, already small
}
DEFAULT_SIZE = 64
# Frames of a video net's input: its temporal stride is 8, so 16 ends at 2 frames.
FRAMES = 16


def input_shape(name):
  spec = registry.get(name)
  frames = [FRAMES] if spec.input_frames else []
  return [1] + frames + [SIZES.get(name, DEFAULT_SIZE)] * 2 + [3]


def images(shape):
  return np.random.RandomState(INPUT_SEED).uniform(-1, 1, shape).astype(np.float32)


def build_and_run(name, shape, num_classes, end_point_names=None, wrapper=False):
  """Builds `name` for `num_classes` in a fresh graph with seeded weights and runs it on the
  fixed input of `shape`; through `engine.Network` when `wrapper`, else the registry's
  `get_network_fn`.

  Returns: (logits as a numpy array, {end point name: numpy array} for `end_point_names`, or
  for the ones `pick_end_points` chooses when None, {variable name: shape}).
  """
  graph = tf.Graph()
  with graph.as_default():
    inputs = tf.compat.v1.placeholder(tf.float32, shape)
    if wrapper:
      logits, end_points = engine.Network.from_registry(name, num_classes=num_classes)(inputs)
    else:
      network_fn = registry.get_network_fn(name, num_classes=num_classes, is_training=False)
      logits, end_points = network_fn(inputs)
    if end_point_names is None:
      end_point_names = pick_end_points(end_points, num_classes)
    missing = [n for n in end_point_names if n not in end_points]
    if missing:
      raise KeyError('%s has no end points %s (it has %s)' % (name, missing, list(end_points)))
    variables = {v.op.name: v.shape.as_list()
                 for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)}
    with tf.compat.v1.Session(graph=graph, config=session_config()) as session:
      seeded_weights.assign_in_session(session, graph)
      fetched = session.run([logits] + [end_points[n] for n in end_point_names],
                            {inputs: images(shape)})
  return fetched[0], dict(zip(end_point_names, fetched[1:], strict=True)), variables


def session_config():
  """Without grappler's rewrites: the values pin the net's own graph, not the fusions a given
  TensorFlow and CPU choose, and optimizing a NASNet graph would cost seconds per run."""
  config = tf.compat.v1.ConfigProto()
  config.graph_options.rewrite_options.disable_meta_optimizer = True
  return config


def pick_end_points(end_points, num_classes):
  """The first end point, a middle one and the last before the classifier (the last whose
  channels are not the classes)."""
  features = [n for n, t in end_points.items() if t.shape[-1] != num_classes]
  return list(dict.fromkeys([features[0], features[len(features) // 2], features[-1]]))


def statistics(array):
  array = array.astype(np.float64)
  return {'shape': list(array.shape), 'mean': float(array.mean()), 'std': float(array.std()),
          'min': float(array.min()), 'max': float(array.max())}


def variables_digest(variables):
  """{count, sha1} of the sorted 'name shape' lines: the variable names and shapes pinned in
  a few bytes."""
  lines = ''.join('%s %s\n' % (n, variables[n]) for n in sorted(variables))
  return {'count': len(variables), 'sha1': hashlib.sha1(lines.encode()).hexdigest()}


def golden_values(name, like=None, wrapper=False):
  """What `name` computes now, in the golden file's format: at `like`'s input, classes and
  end points (a golden entry), or at this module's choice for a new entry."""
  shape = like['input_shape'] if like else input_shape(name)
  num_classes = like['num_classes'] if like else NUM_CLASSES
  logits, end_points, variables = build_and_run(
      name, shape, num_classes, list(like['end_points']) if like else None, wrapper)
  return {'input_shape': shape, 'num_classes': num_classes,
          'logits_shape': list(logits.shape), 'logits': [float(v) for v in logits.ravel()],
          'end_points': {n: statistics(v) for n, v in end_points.items()},
          'variables': variables_digest(variables)}


# Last-digit differences only: oneDNN picks its kernels by CPU, and a 200-layer net carries
# float32 rounding forward; anything a code change causes is far larger.
RTOL = 1e-5


def assert_close(actual, expected, what, scale):
  """`actual` equals `expected` within RTOL, and within RTOL of `scale` for values near 0."""
  np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def assert_equals_golden(name, actual, golden):
  """`actual` (from `golden_values`) has `golden`'s variables, logits and end points."""
  assert actual['variables'] == golden['variables'], name + ' variables (names and shapes)'
  assert actual['logits_shape'] == golden['logits_shape'], name
  expected = np.array(golden['logits'])
  assert_close(actual['logits'], expected, name + ' logits', np.abs(expected).max())
  for end_point, stats in golden['end_points'].items():
    got = actual['end_points'][end_point]
    assert got['shape'] == stats['shape'], end_point
    keys = ['mean', 'std', 'min', 'max']
    assert_close([got[k] for k in keys], [stats[k] for k in keys],
                 '%s %s %s' % (name, end_point, keys), max(abs(stats['min']), abs(stats['max'])))


def load():
  with open(GOLDEN) as f:
    return json.load(f)


def main(argv):
  golden = load() if os.path.exists(GOLDEN) else {
      'input': 'numpy RandomState(%d).uniform(-1, 1, input_shape), float32' % INPUT_SEED,
      'weights': 'tests/seeded_weights.py', 'models': {}}
  models = golden['models']
  names = registry.list_models(','.join(argv)) if argv else [
      n for n in registry.list_models() if n not in models]
  for name in names:
    models[name] = golden_values(name)
    print(name, models[name]['input_shape'], ', '.join(models[name]['end_points']), flush=True)
  golden['models'] = dict(sorted(models.items()))
  os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
  with open(GOLDEN, 'w') as f:
    json.dump(golden, f, indent=1)
    f.write('\n')
  print('wrote %d models to %s' % (len(names), GOLDEN))


if __name__ == '__main__':
  main(sys.argv[1:])
