"""Shared test set-up: quiet TensorFlow, repo root importable, fresh graphs."""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine  # noqa: E402,F401 - oneDNN as the binaries have it, set before TensorFlow loads
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from binaries import run_binary  # noqa: E402


@pytest.fixture
def graph():
  """A fresh TF1 graph, made the default for the test."""
  g = tf.Graph()
  with g.as_default():
    yield g


@pytest.fixture(scope='module')
def lenet_run(tmp_path_factory):
  """Per test module: a train.py run of one step (config.yaml names model, classes, labels)."""
  directory = tmp_path_factory.mktemp('lenet_run')
  done = run_binary('train.py', '--model=lenet', '--train_dir=%s' % directory,
                    '--max_number_of_steps=1')
  assert done.returncode == 0, done.stderr[-2000:]
  return directory
