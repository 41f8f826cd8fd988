"""Every registered model under `tf.compat.v1.disable_v2_behavior()`, as TF-Slim-era
scripts run them: one child process (the switch is global, so it stays out of the
other tests) builds each model through the registry, and a few through
engine.Network, on weights seeded by variable name; this process builds the same
models in TensorFlow's default mode. Variables and logits must agree."""

import json
import subprocess
import sys

import numpy as np
import pytest

import tf1_build_worker as worker
from nets import registry

MODELS = registry.list_models()


@pytest.fixture(scope='module')
def builds(tmp_path_factory):
  """(child's results, {name: default-mode build}); the child runs while this
  process builds its own."""
  path = tmp_path_factory.mktemp('tf1') / 'builds.json'
  child = subprocess.Popen([sys.executable, worker.__file__, str(path)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
  try:
    here = {name: worker.build(name) for name in MODELS}
    here_network = {name: worker.build(name, wrapper=True) for name in worker.NETWORK_MODELS}
  finally:
    log, _ = child.communicate(timeout=900)
  assert child.returncode == 0, 'the TF1 child failed:\n' + log[-5000:]
  with open(path) as f:
    return json.load(f), here, here_network


def test_the_child_ran_with_tf1_behaviour(builds):
  assert builds[0]['behaviour'] == {'dimension': 'Dimension', 'resource_variables': False,
                                    'control_flow_v2': False, 'eager': False}
  assert sorted(builds[0]['models']) == sorted(MODELS)


@pytest.mark.parametrize('name', MODELS)
def test_same_variables_and_logits(builds, name):
  tf1, here, _ = builds
  variables, logits = tf1['models'][name]
  expected_variables, expected_logits = here[name]
  assert variables == expected_variables
  assert np.shape(logits) == (1, registry.get(name).num_classes)
  assert np.all(np.isfinite(logits)) and np.std(logits) > 0
  np.testing.assert_allclose(logits, expected_logits, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('name', worker.NETWORK_MODELS)
def test_engine_network_builds_the_same_model(builds, name):
  tf1, here, here_network = builds
  variables, logits = tf1['network'][name]
  assert variables == tf1['models'][name][0] == here_network[name][0]
  np.testing.assert_allclose(logits, tf1['models'][name][1], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(logits, here_network[name][1], rtol=1e-5, atol=1e-5)

