"""Every registered model under `tf.compat.v1.disable_v2_behavior()` (v1 shapes of
`Dimension`s, reference variables, v1 control flow), for test_tf1_behaviour.py:
`python tests/tf1_build_worker.py OUT.json` builds each one as tests/make_golden.py does
(same input, classes, end points and seeded weights), a few also through engine.Network,
and writes what they computed in the golden file's format, with what mode it ran in."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [p for p in (os.path.dirname(HERE), HERE) if p not in sys.path]
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import make_golden  # noqa: E402 - imports engine first: oneDNN as the tests have it
import tensorflow as tf  # noqa: E402

from nets import registry  # noqa: E402

# Models also built through engine.Network (the TF2 wrapper) in TF1 mode.
NETWORK_MODELS = ('mobilenet_v3_small', 'inception_v2', 'resnet_v2_50')


def main(path):
  tf.compat.v1.disable_v2_behavior()
  behaviour = {
      'dimension': type(tf.TensorShape([1])[0]).__name__,
      'resource_variables': tf.compat.v1.resource_variables_enabled(),
      'control_flow_v2': tf.compat.v1.control_flow_v2_enabled(),
      'eager': tf.executing_eagerly(),
  }
  golden = make_golden.load()['models']
  models = {name: make_golden.golden_values(name, golden[name])
            for name in registry.list_models()}
  network = {name: make_golden.golden_values(name, golden[name], wrapper=True)
             for name in NETWORK_MODELS}
  with open(path, 'w') as f:
    json.dump({'behaviour': behaviour, 'models': models, 'network': network}, f)


if __name__ == '__main__':
  main(sys.argv[1])
