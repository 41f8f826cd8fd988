"""Every registered model under `tf.compat.v1.disable_v2_behavior()`, as TF-Slim-era
scripts run them: one child process (the switch is global, so it stays out of the
other tests) builds each model through the registry, and a few through engine.Network,
as tests/make_golden.py does. Their variables (names and shapes), logits and end points
must be the golden ones, which TensorFlow's default mode computes (test_golden.py)."""

import json
import subprocess
import sys

import pytest

import make_golden
import tf1_build_worker as worker
from nets import registry

MODELS = registry.list_models()
GOLDEN = make_golden.load()['models']


@pytest.fixture(scope='module')
def tf1(tmp_path_factory):
  path = tmp_path_factory.mktemp('tf1') / 'builds.json'
  done = subprocess.run([sys.executable, worker.__file__, str(path)], capture_output=True,
                        text=True, timeout=1800)
  assert done.returncode == 0, 'the TF1 child failed:\n' + done.stderr[-5000:]
  with open(path) as f:
    return json.load(f)


def test_the_child_ran_with_tf1_behaviour(tf1):
  assert tf1['behaviour'] == {'dimension': 'Dimension', 'resource_variables': False,
                              'control_flow_v2': False, 'eager': False}
  assert sorted(tf1['models']) == sorted(MODELS)


@pytest.mark.parametrize('name', MODELS)
def test_same_variables_logits_and_end_points(tf1, name):
  make_golden.assert_equals_golden(name, tf1['models'][name], GOLDEN[name])


@pytest.mark.parametrize('name', worker.NETWORK_MODELS)
def test_engine_network_builds_the_same_model(tf1, name):
  make_golden.assert_equals_golden(name, tf1['network'][name], GOLDEN[name])
