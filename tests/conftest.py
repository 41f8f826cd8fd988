"""Shared test set-up: quiet TensorFlow, repo root importable, fresh graphs."""

import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine  # noqa: E402,F401 - oneDNN as the binaries have it, set before TensorFlow loads
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402


@pytest.fixture
def graph():
  """A fresh TF1 graph, made the default for the test."""
  g = tf.Graph()
  with g.as_default():
    yield g
